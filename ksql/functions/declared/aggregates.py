"""Declared signatures of the aggregate functions and the table functions.

The declaration language is described in ksql/functions/declared/__init__.py. As in ksqlDB, an
aggregate's column argument is named `val`; its literal parameters (TOPK's k, ignoreNulls)
follow the column arguments. `STRUCT` alone stands for a struct whose fields depend on the call.
"""

DECLARED = """
ATTR | Returns the value of a column if every record of the group has the same value for it, else NULL.
  (val T) -> T | The one value of val in the group, NULL if it had several.
AVG | Returns the average value for a given column.
  (val INTEGER) -> DOUBLE | Compute average of INT.
  (val BIGINT) -> DOUBLE | Compute average of BIGINT.
  (val DOUBLE) -> DOUBLE | Compute average of DOUBLE.
  (val DECIMAL) -> DOUBLE | Compute average of DECIMAL.
COLLECT_LIST | Gather all of the values from an input grouping into a single Array field. Although this aggregate works on both Stream and Table inputs, the order of entries in the result array is not guaranteed when working on Table input data. This version limits the size of the resultant Array to 1000 entries, beyond which any further values will be silently ignored.
  (val T) -> ARRAY<T> | Collect values of a column into an array, in arrival order.
COLLECT_SET | Gather all of the distinct values from an input grouping into a single Array. Not available for aggregating values from an input Table. This version limits the size of the resultant Array to 1000 entries, beyond which any further values will be silently ignored.
  (val T) -> ARRAY<T> | Collect the distinct values of a column into an array, in order of first arrival.
CORRELATION | Returns the Pearson correlation coefficient between two columns. Rows with NULL in either column are ignored.
  (x DOUBLE, y DOUBLE) -> DOUBLE | The correlation coefficient between x and y.
COUNT | Counts records by key.
  () -> BIGINT | Counts every record: COUNT(*).
  (val T) -> BIGINT | Counts the records where val is not NULL.
COUNT_DISTINCT | Returns the approximate number of unique values of a column in a group.
  (val T) -> BIGINT | The number of distinct non-NULL values of val.
EARLIEST_BY_OFFSET | This function returns the oldest value for the column, computed by offset.
  (val T) -> T | The earliest non-NULL value of val.
  (val T, ignoreNulls BOOLEAN) -> T | The earliest value of val, ignoring NULLs if ignoreNulls is true.
  (val T, earliestN INTEGER) -> ARRAY<T> | The earliest earliestN non-NULL values of val.
  (val T, earliestN INTEGER, ignoreNulls BOOLEAN) -> ARRAY<T> | The earliest earliestN values of val, ignoring NULLs if ignoreNulls is true.
HISTOGRAM | Returns a map of each distinct String from the input Stream or Table and how many times each occurs. This version limits the number of distinct values which can be counted to 1000, beyond which any additional entries are ignored.
  (val STRING) -> MAP<STRING, BIGINT> | The number of occurrences of each distinct non-NULL value of val.
LATEST_BY_OFFSET | This function returns the most recent value for the column, computed by offset.
  (val T) -> T | The latest non-NULL value of val.
  (val T, ignoreNulls BOOLEAN) -> T | The latest value of val, ignoring NULLs if ignoreNulls is true.
  (val T, latestN INTEGER) -> ARRAY<T> | The latest latestN non-NULL values of val.
  (val T, latestN INTEGER, ignoreNulls BOOLEAN) -> ARRAY<T> | The latest latestN values of val, ignoring NULLs if ignoreNulls is true.
MAX | Returns the maximum value for a given column and window. Rows that have the column set to NULL are ignored.
  (val INTEGER) -> INTEGER | Computes the maximum INT value for a key.
  (val BIGINT) -> BIGINT | Computes the maximum BIGINT value for a key.
  (val DOUBLE) -> DOUBLE | Computes the maximum DOUBLE value for a key.
  (val DECIMAL) -> DECIMAL | Computes the maximum DECIMAL value for a key.
  (val STRING) -> STRING | Computes the maximum VARCHAR value for a key.
  (val BYTES) -> BYTES | Computes the maximum BYTES value for a key.
  (val DATE) -> DATE | Computes the maximum DATE value for a key.
  (val TIME) -> TIME | Computes the maximum TIME value for a key.
  (val TIMESTAMP) -> TIMESTAMP | Computes the maximum TIMESTAMP value for a key.
MIN | Returns the minimum value for a given column and window. Rows that have the column set to NULL are ignored.
  (val INTEGER) -> INTEGER | Computes the minimum INT value for a key.
  (val BIGINT) -> BIGINT | Computes the minimum BIGINT value for a key.
  (val DOUBLE) -> DOUBLE | Computes the minimum DOUBLE value for a key.
  (val DECIMAL) -> DECIMAL | Computes the minimum DECIMAL value for a key.
  (val STRING) -> STRING | Computes the minimum VARCHAR value for a key.
  (val BYTES) -> BYTES | Computes the minimum BYTES value for a key.
  (val DATE) -> DATE | Computes the minimum DATE value for a key.
  (val TIME) -> TIME | Computes the minimum TIME value for a key.
  (val TIMESTAMP) -> TIMESTAMP | Computes the minimum TIMESTAMP value for a key.
STDDEV_POP | Returns the population standard deviation of a column.
  (val INTEGER) -> DOUBLE | Population standard deviation of INT values.
  (val BIGINT) -> DOUBLE | Population standard deviation of BIGINT values.
  (val DOUBLE) -> DOUBLE | Population standard deviation of DOUBLE values.
STDDEV_SAMP | Returns the sample variance (the square of the sample standard deviation) of a column.
  (val INTEGER) -> DOUBLE | Sample variance of INT values.
  (val BIGINT) -> DOUBLE | Sample variance of BIGINT values.
  (val DOUBLE) -> DOUBLE | Sample variance of DOUBLE values.
STDDEV_SAMPLE | Returns the sample standard deviation of a column.
  (val INTEGER) -> DOUBLE | Sample standard deviation of INT values.
  (val BIGINT) -> DOUBLE | Sample standard deviation of BIGINT values.
  (val DOUBLE) -> DOUBLE | Sample standard deviation of DOUBLE values.
SUM | Computes the sum for a key.
  (val INTEGER) -> INTEGER | Compute sum of INT.
  (val BIGINT) -> BIGINT | Compute sum of BIGINT.
  (val DOUBLE) -> DOUBLE | Compute sum of DOUBLE.
  (val DECIMAL) -> DECIMAL | Compute sum of DECIMAL.
TOPK | Computes the top k values for a key, and the other columns of their records.
  (val INTEGER, k INTEGER) -> ARRAY<INTEGER> | Calculates the top k INT values, largest first.
  (val BIGINT, k INTEGER) -> ARRAY<BIGINT> | Calculates the top k BIGINT values, largest first.
  (val DOUBLE, k INTEGER) -> ARRAY<DOUBLE> | Calculates the top k DOUBLE values, largest first.
  (val DECIMAL, k INTEGER) -> ARRAY<DECIMAL> | Calculates the top k DECIMAL values, largest first.
  (val STRING, k INTEGER) -> ARRAY<STRING> | Calculates the top k VARCHAR values, largest first.
  (val DATE, k INTEGER) -> ARRAY<DATE> | Calculates the top k DATE values, latest first.
  (val TIME, k INTEGER) -> ARRAY<TIME> | Calculates the top k TIME values, latest first.
  (val TIMESTAMP, k INTEGER) -> ARRAY<TIMESTAMP> | Calculates the top k TIMESTAMP values, latest first.
  (val T, otherCols ANY..., k INTEGER) -> ARRAY<STRUCT> | Calculates the top k values of val with the other columns of their records: structs of sort_col (the value of val) and col0, col1, ... (otherCols in order).
TOPKDISTINCT | Calculates the top k distinct values for a column, per key.
  (val INTEGER, k INTEGER) -> ARRAY<INTEGER> | Calculates the top k distinct INT values, largest first.
  (val BIGINT, k INTEGER) -> ARRAY<BIGINT> | Calculates the top k distinct BIGINT values, largest first.
  (val DOUBLE, k INTEGER) -> ARRAY<DOUBLE> | Calculates the top k distinct DOUBLE values, largest first.
  (val DECIMAL, k INTEGER) -> ARRAY<DECIMAL> | Calculates the top k distinct DECIMAL values, largest first.
  (val STRING, k INTEGER) -> ARRAY<STRING> | Calculates the top k distinct VARCHAR values, largest first.
  (val DATE, k INTEGER) -> ARRAY<DATE> | Calculates the top k distinct DATE values, latest first.
  (val TIME, k INTEGER) -> ARRAY<TIME> | Calculates the top k distinct TIME values, latest first.
  (val TIMESTAMP, k INTEGER) -> ARRAY<TIMESTAMP> | Calculates the top k distinct TIMESTAMP values, latest first.
CUBE_EXPLODE | Takes as argument a list of columns and outputs all possible combinations of them. It produces 2^d new rows where d is the number of columns given as parameter. Duplicate entries for columns with null value are skipped.
  (columns ARRAY<T>) -> ARRAY<T> | One row per combination of the elements of columns, each kept or set to NULL.
EXPLODE | Explodes an array. This function outputs one value for each element of the array.
  (list ARRAY<T>) -> T | One row per element of list; none for a NULL or empty array.
"""
