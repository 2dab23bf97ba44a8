EXPLAIN CREATE TABLE item_stock AS SELECT i.item, i.descr, s.on_hand FROM items i LEFT JOIN stock s ON i.item = s.item EMIT CHANGES;
