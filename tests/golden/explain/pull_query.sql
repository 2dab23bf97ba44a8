EXPLAIN SELECT item, descr FROM items WHERE item = 'apple';
