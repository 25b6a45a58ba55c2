"""The platform layer: what a cluster needs before its first service (see DESIGN.md, layer 0).

``charts`` is the one table of pinned Helm charts (plain data, importable without cdktf);
``core`` the part every provider shares (``PlatformCore``); each provider's own parts sit beside
them (``onprem``, ``aws``, ...)."""
