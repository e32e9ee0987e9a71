"""Plain services behind the HTTP handlers: no Litestar here, only domain calls."""
