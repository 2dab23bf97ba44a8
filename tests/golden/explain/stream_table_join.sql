EXPLAIN CREATE STREAM enriched AS SELECT o.id, o.item, i.descr FROM orders o JOIN items i ON o.item = i.item EMIT CHANGES;
