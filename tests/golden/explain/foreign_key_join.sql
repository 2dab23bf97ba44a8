EXPLAIN CREATE TABLE item_managers AS SELECT i.item, i.descr, c.manager FROM items i JOIN categories c ON i.category = c.category EMIT CHANGES;
