import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

type Adapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;
type Transaction = Awaited<ReturnType<Adapter["startTransaction"]>>;

/**
 * better-sqlite3 is one connection. Prisma's adapter runs one transaction at a
 * time, but a query from outside the transaction still runs on that connection
 * while it is open — inside it, so a rollback would silently undo it. This
 * adapter makes such queries wait until no transaction is open or waiting.
 */
export function createSqliteAdapter(file: string) {
  const factory = new PrismaBetterSQLite3({ url: file });
  return {
    provider: "sqlite" as const,
    adapterName: factory.adapterName,
    connect: async () => isolateTransactions(await factory.connect()),
    connectToShadowDb: async () => isolateTransactions(await factory.connectToShadowDb()),
  };
}

function isolateTransactions(inner: Adapter): Adapter {
  let open = 0;
  let idle = Promise.resolve();
  let markIdle = () => {};
  const opened = () => {
    if (open++ === 0) idle = new Promise((resolve) => (markIdle = resolve));
  };
  const closed = () => {
    if (--open === 0) markIdle();
  };
  // better-sqlite3 runs a statement synchronously, so nothing can begin a
  // transaction between this check and the statement it guards.
  const whenIdle = async () => {
    while (open > 0) await idle;
  };

  const wrapTransaction = (tx: Transaction): Transaction => ({
    provider: tx.provider,
    adapterName: tx.adapterName,
    options: tx.options,
    queryRaw: (query) => tx.queryRaw(query),
    executeRaw: (query) => tx.executeRaw(query),
    commit: () => tx.commit().finally(closed),
    rollback: () => tx.rollback().finally(closed),
  });

  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: async (query) => (await whenIdle(), inner.queryRaw(query)),
    executeRaw: async (query) => (await whenIdle(), inner.executeRaw(query)),
    executeScript: async (script) => (await whenIdle(), inner.executeScript(script)),
    startTransaction: async (isolationLevel) => {
      opened();
      try {
        return wrapTransaction(await inner.startTransaction(isolationLevel));
      } catch (error) {
        closed();
        throw error;
      }
    },
    dispose: () => inner.dispose(),
    ...(inner.getConnectionInfo && { getConnectionInfo: () => inner.getConnectionInfo!() }),
  };
}
