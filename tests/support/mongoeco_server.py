"""Start mongoeco's MongoDB wire-protocol server on loopback; print its port; serve until killed.

The contract tests run the MongoDB backend through real pymongo over TCP against this
stand-in, since no MongoDB server can be installed on the test machines.
"""

import asyncio
import sys
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


async def main(data_dir: Path) -> None:
    server = AsyncMongoEcoProxyServer(engine=SQLiteEngine(str(data_dir / "mongoeco.sqlite")))
    address = await server.start()
    print(f"PORT {address.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
