"""``veil serve``: the REST API and the LLM gateway on uvicorn, TLS when given a certificate."""

from __future__ import annotations

import ipaddress
import logging
import ssl
from pathlib import Path
from typing import Annotated

import typer

from veil.cli import _options as opt
from veil.cli._app import command
from veil.cli._context import Project
from veil.cli._io import UsageProblem
from veil.config import load_settings
from veil.errors import DependencyMissing


@command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8730,
    upstream: Annotated[str | None, typer.Option(
        metavar="URL", help="An OpenAI-compatible base URL, or echo (default: VEIL_UPSTREAM).")] = None,
    tls_cert: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, metavar="FILE", help="Server certificate (PEM): HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, metavar="FILE", help="The certificate's private key (PEM).")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, metavar="FILE",
        help="Require client certificates signed by this CA (mutual TLS).")] = None,
    allow_plain_http: Annotated[bool, typer.Option(
        help="Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy).")] = False,
    ner: opt.Ner = False,
    project: Project = None,
) -> None:
    """Serve the REST API under /v1 and the OpenAI-compatible gateway (needs veil[server])."""
    try:
        import uvicorn

        from veil.service import create_app, open_service
    except ModuleNotFoundError:
        raise DependencyMissing("server", "veil serve") from None
    if (tls_cert is None) != (tls_key is None):
        raise UsageProblem("--tls-cert and --tls-key go together")
    if tls_client_ca is not None and tls_cert is None:
        raise UsageProblem("--tls-client-ca needs --tls-cert and --tls-key")
    if tls_cert is None and not allow_plain_http and not _loopback(host):
        raise UsageProblem(f"plain HTTP on {host} would expose tokens: give --tls-cert/--tls-key "
                           "or --allow-plain-http behind a TLS proxy")
    settings = load_settings(project)
    key = settings.upstream_key.get_secret_value() if settings.upstream_key is not None else None
    service = open_service(settings, upstream=upstream or settings.upstream, upstream_key=key,
                           redis_url=settings.redis_url, ner=ner)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    scheme = "https" if tls_cert else "http"
    where = "echo" if (upstream or settings.upstream) == "echo" else "configured"  # a URL may hold a key

    def ready() -> None:
        typer.echo(f"veil: serving on {scheme}://{host}:{port} (upstream: {where})", err=True)

    uvicorn.run(
        create_app(service, on_ready=ready), host=host, port=port, access_log=False, log_level="warning",
        ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None,
        ssl_ca_certs=str(tls_client_ca) if tls_client_ca else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if tls_client_ca else ssl.CERT_NONE,
    )  # fmt: skip


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
