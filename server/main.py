"""`ksql-server`: start the REST server (HTTP/1.1 and h2c on one port) over a data directory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from urllib.parse import urlparse

from hypercorn.asyncio import serve
from hypercorn.config import Config

from ksql.engine import Engine, repair_data_dir
from ksql.errors import KsqlError
from server.app import create_app
from server.config import build_config, read_properties
from server.state import ServerState

_log = logging.getLogger("ksql.server")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ksql-server", description=__doc__)
    parser.add_argument("config", nargs="?", help="server properties file (as --config)")
    parser.add_argument("--config", dest="config_flag", help="server properties file")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8088)")
    parser.add_argument("--data-dir", help="data directory (default ./ksql-data)")
    parser.add_argument("--users-file", help="enable HTTP basic auth with users from this file")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--log-file", help="write the server log here instead of stderr")
    parser.add_argument(
        "--repair", action="store_true",
        help="check the data directory's log, set damaged frames aside (keeping every intact "
        "one) and exit; run it while no server uses the directory",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        filename=args.log_file,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config_path = args.config_flag or args.config
    properties = read_properties(config_path) if config_path else {}
    config = build_config(
        properties,
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        users_file=args.users_file,
    )
    if args.repair:
        try:
            for line in repair_data_dir(config.data_dir):
                print(line)
        except KsqlError as error:
            print(f"ksql-server: cannot repair {config.data_dir}: {error.message}",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"ksql-server: {config.data_dir} repaired")
        return 0
    try:
        engine = Engine(config.data_dir, properties=config.properties)
    except KsqlError as error:
        print(f"ksql-server: cannot open {config.data_dir}: {error.message}", file=sys.stderr)
        return 1
    state = ServerState(engine, config)
    engine.start()
    _log.info(
        "ksql-server listening on http://%s:%d (data dir %s, %d queries restored)",
        config.host,
        config.port,
        config.data_dir,
        len(engine.queries()),
    )
    try:
        asyncio.run(_serve(state))
    finally:
        state.server_state = "TERMINATED"
        state.queries.close_all()
        state.fanout.close_all()
        engine.close()
    return 0


async def _serve(state: ServerState) -> None:
    hconfig = Config()
    hconfig.bind = [f"{state.config.host}:{state.config.port}"]
    hconfig.accesslog = None
    hconfig.errorlog = logging.getLogger("hypercorn.error")
    hconfig.graceful_timeout = 2.0
    hconfig.keep_alive_timeout = 75.0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def shutdown() -> None:
        await stop.wait()
        state.server_state = "TERMINATING"
        state.queries.close_all()

    servers = [serve(create_app(state), hconfig, shutdown_trigger=shutdown)]
    registry = _registry_server(state, stop.wait)
    if registry is not None:
        servers.append(registry)
    await asyncio.gather(*servers)


def _registry_server(state: ServerState, shutdown):
    """The built-in registry on its own port, as Confluent's listens (default 8081; set
    `ksql.schema.registry.listener`, or `none` to serve it only under /schema-registry)."""
    listener = state.config.registry_listener
    app = state.engine.registry_app(
        None if state.config.users is None else [f"{u}:{p}" for u, p in state.config.users.items()]
    )
    if app is None or listener.lower() == "none":
        return None
    url = urlparse(listener)
    hconfig = Config()
    hconfig.bind = [f"{url.hostname or state.config.host}:{url.port or 8081}"]
    hconfig.accesslog = None
    hconfig.errorlog = logging.getLogger("hypercorn.error")
    hconfig.graceful_timeout = 2.0

    async def run() -> None:
        try:
            await serve(app, hconfig, shutdown_trigger=shutdown)
        except OSError as error:  # the port is taken: the path on the main port still serves
            _log.warning("schema registry not served on %s: %s", listener, error)

    return run()


if __name__ == "__main__":
    sys.exit(main())
