"""``cafehub token ...``: create, list and revoke the service's API tokens.

A token belongs to one shop of the configuration and has the read scope, or
read and write (``--write``). Its full text is printed once, at creation;
the service keeps only a hash of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cafehub.cli.common import err, fail, out

if TYPE_CHECKING:
    from cafehub.service.tokens import TokenStore

app = typer.Typer(help="Create, list and revoke API tokens of the service.", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", metavar="FILE", show_default=False,
    help="The service configuration (TOML). Default: $CAFEHUB_CONFIG, else ./cafehub.toml.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@contextmanager
def _token_store(config: Path | None) -> Iterator[tuple[TokenStore, frozenset[str]]]:
    """The token store of the configuration, and its shop ids; errors as one line."""
    from cafehub.service.config import ConfigError, load_config
    from cafehub.service.tokens import TokenError, TokenStore
    from cafehub.store.engines import StoreError

    try:
        loaded = load_config(config)
        store = TokenStore.open(loaded.database)
    except (ConfigError, StoreError) as error:
        fail(str(error), 1)
    try:
        yield store, frozenset(loaded.shops)
    except (StoreError, TokenError) as error:
        fail(str(error), 1)
    finally:
        store.close()


@app.command()
def create(
    shop: Annotated[str, typer.Option("--shop", help="The shop the token is for.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses it (shown in lists, recorded as author).")],
    write: Annotated[bool, typer.Option("--write", help="Also allow changes (save and delete segments).")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token and print it (once: it cannot be shown again)."""
    import json

    from cafehub.service.tokens import Scope

    with _token_store(config) as (store, shops):
        if shop not in shops:
            fail(f"--shop: there is no such shop in the configuration (shops: {', '.join(sorted(shops))})")
        scopes = frozenset({Scope.READ, Scope.WRITE} if write else {Scope.READ})
        new = store.issue(shop, name, scopes)
    if as_json:
        out.print(json.dumps({"token_id": new.info.token_id, "shop": shop, "scopes": sorted(scopes),
                              "token": new.token}), markup=False, highlight=False)
        return
    err.print(f"token {new.info.token_id} for shop {shop} ({', '.join(sorted(scopes))}); "
              "store it now, it is not shown again:", markup=False, highlight=False)
    out.print(new.token, markup=False, highlight=False)


@app.command("list")
def list_tokens(
    shop: Annotated[str | None, typer.Option("--shop", help="Only this shop's tokens.")] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List tokens (never their secrets)."""
    import json

    from rich.table import Table

    with _token_store(config) as (store, _):
        infos = store.list(shop, include_revoked=revoked)
    if as_json:
        out.print(json.dumps([{"token_id": i.token_id, "shop": i.shop_id, "name": i.name, "scopes": sorted(i.scopes),
                               "created_at": i.created_at.isoformat() + "Z",
                               "revoked_at": i.revoked_at.isoformat() + "Z" if i.revoked_at else None}
                              for i in infos], ensure_ascii=False), markup=False, highlight=False)
        return
    table = Table("id", "shop", "name", "scopes", "created (UTC)", "revoked (UTC)")
    for i in infos:
        table.add_row(i.token_id, i.shop_id, i.name, ",".join(sorted(i.scopes)), str(i.created_at),
                      str(i.revoked_at) if i.revoked_at else "")
    out.print(table)


@app.command()
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (from `cafehub token list`).")],
    config: ConfigOpt = None,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    with _token_store(config) as (store, _):
        info = store.revoke(token_id)
    out.print(f"revoked token {info.token_id} ({info.name}, shop {info.shop_id})", markup=False, highlight=False)
