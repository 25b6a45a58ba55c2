# One EKS cluster's platform, applied with plain terraform in this order:
#   1. the monitoring module (modules_out/aws/monitoring: the Amazon Managed Prometheus workspace
#      this module writes to; its workspace_id output is prometheus_workspace_id here),
#   2. this root with enable_crds = false on a new cluster (the charts install the CRDs),
#   3. this root again with enable_crds = true (the ClusterIssuer and KEDA's ClusterTriggerAuthentication),
#   4. the services' roots.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws        = { source = "hashicorp/aws", version = ">= 5.100.0, < 7.0.0" }
    helm       = { source = "hashicorp/helm", version = ">= 3.1.1, < 4.0.0" }
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 2.38.0, < 3.0.0" }
  }
}

variable "cluster_name" {
  type        = string
  description = "Name of the existing EKS cluster."
}

variable "prometheus_workspace_id" {
  type        = string
  description = "The monitoring module's workspace_id output."
}

variable "enable_crds" {
  type        = bool
  description = "false on the first apply to a new cluster, true afterwards."
  default     = false
}

provider "aws" {
  region = "us-east-1"
}

data "aws_eks_cluster" "this" {
  name = var.cluster_name
}

data "aws_eks_cluster_auth" "this" {
  name = var.cluster_name
}

data "aws_iam_openid_connect_provider" "this" {
  url = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
}

provider "kubernetes" {
  host                   = data.aws_eks_cluster.this.endpoint
  cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)
  token                  = data.aws_eks_cluster_auth.this.token
}

provider "helm" {
  kubernetes = {
    host                   = data.aws_eks_cluster.this.endpoint
    cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)
    token                  = data.aws_eks_cluster_auth.this.token
  }
}

module "platform" {
  source                  = "../.."
  environment             = "production"
  cluster_name            = var.cluster_name
  oidc_provider_arn       = data.aws_iam_openid_connect_provider.this.arn
  prometheus_workspace_id = var.prometheus_workspace_id
  acme_email              = "platform-team@example.com"
  enable_crds             = var.enable_crds
  # volume_kms_key_arn    = "arn:aws:kms:us-east-1:111122223333:key/EXAMPLE"
}

output "platform" {
  value = module.platform
}
