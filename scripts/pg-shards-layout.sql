-- The sharded layout of a Juwei database (docs/scale.md), run by scripts/pg-shards with psql in
-- one transaction, after Juwei has created (or migrated) the schema on every server:
--   psql -v part=shard|coordinator -v global_tables=a,b,... -v shards='[{"host": ...,
--        "port": ..., "dbname": ..., "user": ...}, ...]' -f pg-shards-layout.sql
-- It reads the tables from the catalog, never from a list of its own, so a migration that adds a
-- column or a table needs no change here: a table is community-scoped when it has a
-- community_id column and is not one of the global tables. Running it again changes only what
-- is new (a table added by a migration, the shards' ports after a restart).

SELECT set_config('juwei_layout.global_tables', :'global_tables', true),
       set_config('juwei_layout.shards', :'shards', true),
       :'part' = 'shard' AS on_shard, :'part' = 'coordinator' AS on_coordinator
\gset

\if :on_shard
-- A shard holds the community-scoped tables of the communities whose hash falls to it, with
-- their keys, checks and foreign keys among themselves: every key leads with community_id, so
-- a community's rows all live on one shard and the shard enforces them alone. The global
-- tables stay in its schema (Juwei's migrations apply to a shard as to any Juwei database) but
-- hold nothing: the coordinator keeps them. So the foreign keys that point at them go.
DO $shard$
DECLARE
  global_tables text[] := string_to_array(current_setting('juwei_layout.global_tables'), ',');
  fk record;
BEGIN
  FOR fk IN
    SELECT c.conrelid::regclass AS tab, c.conname
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
      AND (SELECT relname FROM pg_class WHERE oid = c.confrelid) = ANY (global_tables)
      AND (SELECT relname FROM pg_class WHERE oid = c.conrelid) <> ALL (global_tables)
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tab, fk.conname);
  END LOOP;
END
$shard$;

\elif :on_coordinator
CREATE EXTENSION IF NOT EXISTS postgres_fdw;

DO $coordinator$
DECLARE
  global_tables text[] := string_to_array(current_setting('juwei_layout.global_tables'), ',');
  shards jsonb := current_setting('juwei_layout.shards')::jsonb;
  n int := jsonb_array_length(shards);
  shard jsonb;
  server text;
  t record;
  partitions int;
  staged text;
BEGIN
  -- One foreign server per shard. async_capable: an Append over the shards' foreign scans runs
  -- them at once, so a query over every community waits for the slowest shard, not for their
  -- sum. use_remote_estimate: the planner asks the shard for its estimates (the shards' own
  -- statistics, kept by their autovacuum; nothing analyzes foreign tables on the coordinator),
  -- without which postgres_fdw prices a join it would push down as a cross product and pulls
  -- every row to join here instead. batch_size: rows routed to a shard go in INSERTs of up to
  -- that many rows; fetch_size: rows come back that many at a time.
  FOR k IN 0 .. n - 1 LOOP
    shard := shards -> k;
    server := 'shard' || k;
    IF EXISTS (SELECT 1 FROM pg_foreign_server WHERE srvname = server) THEN
      EXECUTE format('ALTER SERVER %I OPTIONS (SET host %L, SET port %L, SET dbname %L)',
                     server, shard ->> 'host', shard ->> 'port', shard ->> 'dbname');
    ELSE
      EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, '
                     'port %L, dbname %L, async_capable %L, use_remote_estimate %L, '
                     'batch_size %L, fetch_size %L)',
                     server, shard ->> 'host', shard ->> 'port', shard ->> 'dbname', 'true',
                     'true', '1000', '1000');
      -- Whoever uses the coordinator reaches the shards as this account (a superuser's
      -- connection, as in the tests, needs no password; an operator adds one here).
      EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER %I OPTIONS (user %L)',
                     server, shard ->> 'user');
    END IF;
  END LOOP;

  FOR t IN
    SELECT c.oid, c.relname, c.relkind
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition AND c.relname <> ALL (global_tables)
      AND EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'community_id' AND NOT a.attisdropped)
    ORDER BY c.relname
  LOOP
    IF t.relkind = 'p' THEN
      -- Laid out by an earlier run. Moving rows to another number of shards is not this
      -- script's work (docs/scale.md).
      SELECT count(*) INTO partitions FROM pg_inherits WHERE inhparent = t.oid;
      IF partitions <> n THEN
        RAISE EXCEPTION '% has % partitions, not one per shard (%)', t.relname, partitions, n;
      END IF;
      CONTINUE;
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I LIMIT 1) r', t.relname)
      INTO partitions;
    IF partitions > 0 THEN
      RAISE EXCEPTION '% holds rows on the coordinator: lay out an empty database', t.relname;
    END IF;
    -- The same columns, defaults and checks, partitioned by the community. No unique index,
    -- primary key or foreign key: PostgreSQL keeps none over foreign partitions, and none is
    -- needed here, since every key leads with community_id and each shard keeps its own.
    staged := t.relname || '_partitioned';
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING GENERATED) PARTITION BY HASH (community_id)', staged, t.relname);
    -- CASCADE: the foreign keys of the other community-scoped tables that point at it (the
    -- shards keep those).
    EXECUTE format('DROP TABLE %I CASCADE', t.relname);
    EXECUTE format('ALTER TABLE %I RENAME TO %I', staged, t.relname);
    FOR k IN 0 .. n - 1 LOOP
      EXECUTE format('CREATE FOREIGN TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, '
                     'REMAINDER %s) SERVER %I OPTIONS (schema_name %L, table_name %L)',
                     t.relname || '_shard' || k, t.relname, n, k, 'shard' || k, 'public',
                     t.relname);
    END LOOP;
  END LOOP;

  -- A street's or a city's aggregate is computed on each shard and only the groups travel:
  -- partitionwise aggregation (and joins, for a join of two partitioned tables on
  -- community_id) let postgres_fdw push the work down per partition.
  EXECUTE format('ALTER DATABASE %I SET enable_partitionwise_aggregate = on', current_database());
  EXECUTE format('ALTER DATABASE %I SET enable_partitionwise_join = on', current_database());
END
$coordinator$;

\else
DO $$ BEGIN RAISE EXCEPTION 'pg-shards-layout.sql: set part to shard or coordinator'; END $$;
\endif
