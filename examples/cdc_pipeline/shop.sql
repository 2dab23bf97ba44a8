-- The source database of the example: customers and their orders (PostgreSQL).
CREATE TABLE customers (
    id      INT PRIMARY KEY,
    name    TEXT NOT NULL,
    region  TEXT NOT NULL
);

CREATE TABLE orders (
    id           INT PRIMARY KEY,
    customer_id  INT NOT NULL,
    amount       INT NOT NULL,          -- cents
    created_at   TIMESTAMP NOT NULL
);
