"""Declared signatures of the array, map and lambda (invocation) scalar functions.

The declaration language is described in ksql/functions/declared/__init__.py; overviews and
parameter names follow ksqlDB's built-in functions.
"""

DECLARED = """
ARRAY_CONCAT | Concatenates two arrays, creating an array that contains all the elements in the first array followed by all the elements in the second array. Returns NULL if both input arrays are NULL. The two arrays must be of the same type.
  (left ARRAY<T>, right ARRAY<T>) -> ARRAY<T> | Concatenates left and right.
ARRAY_CONTAINS | Returns true if the array is non-null and contains the supplied value.
  (array ARRAY<T>, val T) -> BOOLEAN | Whether array holds val.
ARRAY_DISTINCT | Returns an array of all the distinct values, including NULL if present, from the input array. The output array elements will be in order of their first occurrence in the input. Returns NULL if the input array is NULL.
  (input ARRAY<T>) -> ARRAY<T> | The distinct elements of input.
ARRAY_EXCEPT | Returns an array of all the distinct elements from an array, except for those also present in a second array. The order of entries in the first array is preserved although any duplicates are removed. Returns NULL if either input is NULL.
  (left ARRAY<T>, right ARRAY<T>) -> ARRAY<T> | The distinct elements of left that are not in right.
ARRAY_INTERSECT | Returns an array of all the distinct elements from the intersection of both input arrays. The order of entries in the output is the same as in the first input array. Returns NULL if either input array is NULL.
  (left ARRAY<T>, right ARRAY<T>) -> ARRAY<T> | The distinct elements of left that are also in right.
ARRAY_JOIN | Creates a flat string representation of all the primitive elements contained in the given array. The elements in the resulting string are separated by the chosen delimiter, which is an optional parameter that falls back to a comma (,).
  (array ARRAY<T>) -> STRING | The elements of array joined by commas.
  (array ARRAY<T>, delimiter STRING) -> STRING | The elements of array joined by delimiter.
ARRAY_LENGTH | Returns the length on an array.
  (array ARRAY<T>) -> INTEGER | The number of elements in array, NULL if it is NULL.
ARRAY_MAX | Returns the maximum value from within a given array of primitive elements (not arrays of other arrays, or maps, or structs, or combinations thereof). Array entries are compared according to their natural sort order, which sorts the various data-types per the following examples: array_max[-1, 2, NULL, 0] -> 2; array_max[false, NULL, true] -> true; array_max['Foo', 'Bar', NULL, 'baz'] -> 'baz' (lower-case characters are 'greater' than upper-case characters). If the array field is NULL, or contains only NULLs, then NULL is returned.
  (input ARRAY<T>) -> T | The largest element of input.
ARRAY_MIN | Returns the minimum value from within a given array of primitive elements (not arrays of other arrays, or maps, or structs, or combinations thereof). Array entries are compared according to their natural sort order, which sorts the various data-types per the following examples: array_min[-1, 2, NULL, 0] -> -1; array_min[false, NULL, true] -> false; array_min['Foo', 'Bar', NULL, 'baz'] -> 'Bar'. If the array field is NULL, or contains only NULLs, then NULL is returned.
  (input ARRAY<T>) -> T | The smallest element of input.
ARRAY_REMOVE | Removes all elements from the input array equal to the specified value.
  (array ARRAY<T>, victim T) -> ARRAY<T> | array without the elements equal to victim.
ARRAY_SORT | Sorts an array of primitive values, according to their natural sort order. Any NULLs in the array will be placed at the end.
  (input ARRAY<T>) -> ARRAY<T> | The elements of input in ascending order.
  (input ARRAY<T>, direction STRING) -> ARRAY<T> | The elements of input in direction order: 'ASC' or 'DESC'.
ARRAY_UNION | Returns an array of all the distinct elements from both input arrays, in the order they're encountered.
  (left ARRAY<T>, right ARRAY<T>) -> ARRAY<T> | The distinct elements of left and then of right.
AS_MAP | Construct a map from a list of keys and a list of values.
  (keys ARRAY<STRING>, values ARRAY<T>) -> MAP<STRING, T> | The map of each of keys to the value at the same position in values.
ELT | Returns element n in the argument list. The first element is at position 1. Returns NULL if n is less than 1 or greater than the number of arguments.
  (n INTEGER, args STRING...) -> STRING | The n-th of args, NULL if there is none.
ENTRIES | Constructs an array of structs from the entries in a map. Each struct has a field named K containing the key, which is a string, and a field named V, which holds the value.
  (map MAP<STRING, INTEGER>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V INTEGER>> | The entries of map, sorted by key if sorted is true.
  (map MAP<STRING, BIGINT>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V BIGINT>> | The entries of map, sorted by key if sorted is true.
  (map MAP<STRING, DOUBLE>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V DOUBLE>> | The entries of map, sorted by key if sorted is true.
  (map MAP<STRING, BOOLEAN>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V BOOLEAN>> | The entries of map, sorted by key if sorted is true.
  (map MAP<STRING, STRING>, sorted BOOLEAN) -> ARRAY<STRUCT<K STRING, V STRING>> | The entries of map, sorted by key if sorted is true.
FIELD | Returns the 1-indexed position of str in args, or 0 if not found. If str is NULL, the return value is 0, because NULL is not considered to be equal to any value. FIELD is the complement to ELT.
  (str STRING, args STRING...) -> INTEGER | The position of str among args, 0 if absent.
GENERATE_SERIES | Construct an array of a range of values.
  (start INTEGER, end INTEGER) -> ARRAY<INTEGER> | The INT values from start to end inclusive, counting down if start > end.
  (start INTEGER, end INTEGER, step INTEGER) -> ARRAY<INTEGER> | The INT values from start to end inclusive, in increments of step.
  (start BIGINT, end BIGINT) -> ARRAY<BIGINT> | The BIGINT values from start to end inclusive, counting down if start > end.
  (start BIGINT, end BIGINT, step INTEGER) -> ARRAY<BIGINT> | The BIGINT values from start to end inclusive, in increments of step.
MAP_KEYS | Returns an array that contains all of the keys from the specified map.
  (input MAP<K, V>) -> ARRAY<K> | The keys of input, NULL if it is NULL.
MAP_UNION | Returns a new map containing the union of all entries from both input maps. If a key is present in both input maps then the value from map2 is the one which appears in the result. Returns NULL if all of the input maps are NULL.
  (map1 MAP<K, V>, map2 MAP<K, V>) -> MAP<K, V> | The entries of map1 and map2, map2 winning for a key in both.
MAP_VALUES | Returns an array that contains all of the values from the specified map.
  (input MAP<K, V>) -> ARRAY<V> | The values of input, NULL if it is NULL.
SLICE | Returns a subset of an array.
  (list ARRAY<T>, from INTEGER, to INTEGER) -> ARRAY<T> | The elements of list from position from to position to (1-based, inclusive).
FILTER | Filter an array or map. The filter function will take in two arguments for a map and one for an array and return a boolean determining if the element is included in the output.
  (array ARRAY<T>, function LAMBDA (T) => BOOLEAN) -> ARRAY<T> | Returns the elements of array for which function is true.
  (map MAP<K, V>, biFunction LAMBDA (K, V) => BOOLEAN) -> MAP<K, V> | Returns the entries of map for which biFunction is true.
REDUCE | Reduce an array or map into a single value. The reduce function takes in a state and one or two arguments (an array element, or a map key and value) and returns the new state.
  (array ARRAY<T>, initialState S, biFunction LAMBDA (S, T) => S) -> S | Reduce an array: biFunction folds each element into the state, starting from initialState.
  (map MAP<K, V>, initialState S, triFunction LAMBDA (S, K, V) => S) -> S | Reduce a map: triFunction folds each key and value into the state, starting from initialState.
TRANSFORM | Apply a function to each element in an array or map. The transformation function will take in two arguments for a map and one for an array and return the transformed structure.
  (array ARRAY<T>, function LAMBDA (T) => R) -> ARRAY<R> | Returns a transformed array.
  (map MAP<K, V>, biFunction1 LAMBDA (K, V) => R, biFunction2 LAMBDA (K, V) => U) -> MAP<R, U> | Returns a transformed map: biFunction1 gives each new key, biFunction2 each new value.
"""
