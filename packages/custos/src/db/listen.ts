// LISTEN for a channel on the database, for caches that other servers' writes must invalidate.
// On a server, a dedicated connection of the runtime login: when it breaks, the caller is told at
// once (its cache must then stop trusting itself) and the listener reconnects. On the embedded
// engine, PGlite's own listen(): one process holds the database, so nothing can be missed.
import pg from 'pg';

export interface Listener {
  /** False while notifications may be missed (the connection is down or not yet listening). */
  healthy(): boolean;
  close(): Promise<void>;
}

export interface ListenCallbacks {
  notified(): void;
  /** The listener went down: anything cached on its word must be dropped. */
  lost(): void;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name ${channel}`);
}

/** A listener on its own connection to a Postgres server, reconnecting after a second when it breaks. */
export function listenOnServer(connectionString: string, channel: string, callbacks: ListenCallbacks): Listener {
  checkChannel(channel);
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const down = () => {
    if (listening) callbacks.lost();
    listening = false;
    const broken = client;
    client = undefined;
    void broken?.end().catch(() => undefined);
    if (!closed) retry = setTimeout(connect, 1000).unref();
  };

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString, keepAlive: true, application_name: 'custos-listen' });
    client = next;
    next.on('error', down);
    next.on('end', () => {
      if (client === next) down();
    });
    next.on('notification', (message) => {
      if (message.channel === channel) callbacks.notified();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (closed || client !== next) return void (await next.end().catch(() => undefined));
      listening = true;
      // Whatever changed while nobody listened is unknown: start from nothing.
      callbacks.lost();
    } catch {
      if (client === next) down();
    }
  }

  void connect();
  return {
    healthy: () => listening,
    close: async () => {
      closed = true;
      listening = false;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
