"""Declared signatures of the numeric, null-handling, URL and other scalar functions.

The declaration language is described in ksql/functions/declared/__init__.py; overviews and
parameter names follow ksqlDB's built-in functions.
"""

DECLARED = """
ABS | Returns the absolute value of its argument. If the argument is not negative, the argument is returned. If the argument is negative, the negation of the argument is returned.
  (val INTEGER) -> INTEGER | Returns the absolute value of an INT value.
  (val BIGINT) -> BIGINT | Returns the absolute value of a BIGINT value.
  (val DOUBLE) -> DOUBLE | Returns the absolute value of a DOUBLE value.
  (val DECIMAL) -> DECIMAL | Returns the absolute value of a DECIMAL value.
ACOS | Returns the inverse (arc) cosine of an INT, BIGINT, or DOUBLE value. The returned value is in radians.
  (value INTEGER) -> DOUBLE | Returns the inverse (arc) cosine of an INT value
  (value BIGINT) -> DOUBLE | Returns the inverse (arc) cosine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the inverse (arc) cosine of a DOUBLE value
ASIN | Returns the inverse (arc) sine of an INT, BIGINT, or DOUBLE value. The returned value is in radians.
  (value INTEGER) -> DOUBLE | Returns the inverse (arc) sine of an INT value
  (value BIGINT) -> DOUBLE | Returns the inverse (arc) sine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the inverse (arc) sine of a DOUBLE value
ATAN | Returns the inverse (arc) tangent of an INT, BIGINT, or DOUBLE value. The returned value is in radians.
  (value INTEGER) -> DOUBLE | Returns the inverse (arc) tangent of an INT value
  (value BIGINT) -> DOUBLE | Returns the inverse (arc) tangent of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the inverse (arc) tangent of a DOUBLE value
ATAN2 | Returns the inverse (arc) tangent of y / x, using the signs of both to pick the quadrant. The returned value is in radians.
  (y INTEGER, x INTEGER) -> DOUBLE | Returns the inverse (arc) tangent of y / x for INT values
  (y BIGINT, x BIGINT) -> DOUBLE | Returns the inverse (arc) tangent of y / x for BIGINT values
  (y DOUBLE, x DOUBLE) -> DOUBLE | Returns the inverse (arc) tangent of y / x for DOUBLE values
CBRT | Returns the cube root of an INT, BIGINT, or DOUBLE value.
  (value INTEGER) -> DOUBLE | Returns the cube root of an INT value
  (value BIGINT) -> DOUBLE | Returns the cube root of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the cube root of a DOUBLE value
CEIL | Returns the smallest integer greater than or equal to the specified numeric expression.
  (val INTEGER) -> INTEGER | Returns the ceiling of an INT value.
  (val BIGINT) -> BIGINT | Returns the ceiling of a BIGINT value.
  (val DOUBLE) -> DOUBLE | Returns the ceiling of a DOUBLE value.
  (val DECIMAL) -> DECIMAL | Returns the ceiling of a DECIMAL value.
COS | Returns the cosine of an INT, BIGINT, or DOUBLE value. The value is in radians.
  (value INTEGER) -> DOUBLE | Returns the cosine of an INT value
  (value BIGINT) -> DOUBLE | Returns the cosine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the cosine of a DOUBLE value
COSH | Returns the hyperbolic cosine of an INT, BIGINT, or DOUBLE value.
  (value INTEGER) -> DOUBLE | Returns the hyperbolic cosine of an INT value
  (value BIGINT) -> DOUBLE | Returns the hyperbolic cosine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the hyperbolic cosine of a DOUBLE value
COT | Returns the cotangent of an INT, BIGINT, or DOUBLE value. The value is in radians.
  (value INTEGER) -> DOUBLE | Returns the cotangent of an INT value
  (value BIGINT) -> DOUBLE | Returns the cotangent of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the cotangent of a DOUBLE value
DEGREES | Converts an INT, BIGINT, or DOUBLE value from radians to degrees.
  (value INTEGER) -> DOUBLE | Converts an INT value in radians to degrees
  (value BIGINT) -> DOUBLE | Converts a BIGINT value in radians to degrees
  (value DOUBLE) -> DOUBLE | Converts a DOUBLE value in radians to degrees
EXP | Returns Euler's number e raised to the power of an INT, BIGINT, or DOUBLE value.
  (exponent INTEGER) -> DOUBLE | Returns Euler's number e raised to the power of an INT value.
  (exponent BIGINT) -> DOUBLE | Returns Euler's number e raised to the power of a BIGINT value.
  (exponent DOUBLE) -> DOUBLE | Returns Euler's number e raised to the power of a DOUBLE value.
FLOOR | Returns the largest integer less than or equal to the specified numeric expression.
  (val INTEGER) -> INTEGER | Returns the floor of an INT value.
  (val BIGINT) -> BIGINT | Returns the floor of a BIGINT value.
  (val DOUBLE) -> DOUBLE | Returns the floor of a DOUBLE value.
  (val DECIMAL) -> DECIMAL | Returns the floor of a DECIMAL value.
LN | Returns the natural logarithm of a value.
  (value INTEGER) -> DOUBLE | Returns the natural logarithm of an INT value.
  (value BIGINT) -> DOUBLE | Returns the natural logarithm of a BIGINT value.
  (value DOUBLE) -> DOUBLE | Returns the natural logarithm of a DOUBLE value.
LOG | Returns the logarithm of a value: natural, or to a given base.
  (value INTEGER) -> DOUBLE | Returns the natural logarithm of an INT value.
  (value BIGINT) -> DOUBLE | Returns the natural logarithm of a BIGINT value.
  (value DOUBLE) -> DOUBLE | Returns the natural logarithm of a DOUBLE value.
  (base INTEGER, value INTEGER) -> DOUBLE | Returns the logarithm with the given base of an INT value.
  (base BIGINT, value BIGINT) -> DOUBLE | Returns the logarithm with the given base of a BIGINT value.
  (base DOUBLE, value DOUBLE) -> DOUBLE | Returns the logarithm with the given base of a DOUBLE value.
PI | Returns an approximate value of pi.
  () -> DOUBLE | Returns an approximate value of pi.
POWER | Returns the value of a base raised to the power of an exponent.
  (base INTEGER, exponent INTEGER) -> DOUBLE | Returns the INT base raised to the INT exponent.
  (base BIGINT, exponent BIGINT) -> DOUBLE | Returns the BIGINT base raised to the BIGINT exponent.
  (base DOUBLE, exponent DOUBLE) -> DOUBLE | Returns the DOUBLE base raised to the DOUBLE exponent.
RADIANS | Converts an INT, BIGINT, or DOUBLE value from degrees to radians.
  (value INTEGER) -> DOUBLE | Converts an INT value in degrees to radians
  (value BIGINT) -> DOUBLE | Converts a BIGINT value in degrees to radians
  (value DOUBLE) -> DOUBLE | Converts a DOUBLE value in degrees to radians
RANDOM | Returns a random number greater than or equal to 0.0 and less than 1.0.
  () -> DOUBLE | Returns a random DOUBLE in [0.0, 1.0).
ROUND | Round a value to the number of decimal places as specified by scale to the right of the decimal point. If scale is negative then value is rounded to the right of the decimal point. Numbers equidistant to the nearest value are rounded up (in the positive direction). If the number of decimal places is not provided it defaults to zero.
  (val INTEGER) -> INTEGER | Round an INT value: the value itself.
  (val BIGINT) -> BIGINT | Round a BIGINT value: the value itself.
  (val DOUBLE) -> BIGINT | Round a DOUBLE value to the nearest BIGINT.
  (val DOUBLE, decimalPlaces INTEGER) -> DOUBLE | Round a DOUBLE value to decimalPlaces decimal places.
  (val DECIMAL) -> DECIMAL | Round a DECIMAL value to a scale of zero.
  (val DECIMAL, decimalPlaces INTEGER) -> DECIMAL | Round a DECIMAL value to decimalPlaces decimal places.
SIGN | Returns the sign of its argument: -1 if negative, 0 if zero, 1 if positive.
  (value INTEGER) -> INTEGER | Returns the sign of an INT value, denoted by 1, 0 or -1.
  (value BIGINT) -> INTEGER | Returns the sign of a BIGINT value, denoted by 1, 0 or -1.
  (value DOUBLE) -> INTEGER | Returns the sign of a DOUBLE value, denoted by 1, 0 or -1.
  (value DECIMAL) -> INTEGER | Returns the sign of a DECIMAL value, denoted by 1, 0 or -1.
SIN | Returns the sine of an INT, BIGINT, or DOUBLE value. The value is in radians.
  (value INTEGER) -> DOUBLE | Returns the sine of an INT value
  (value BIGINT) -> DOUBLE | Returns the sine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the sine of a DOUBLE value
SINH | Returns the hyperbolic sine of an INT, BIGINT, or DOUBLE value.
  (value INTEGER) -> DOUBLE | Returns the hyperbolic sine of an INT value
  (value BIGINT) -> DOUBLE | Returns the hyperbolic sine of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the hyperbolic sine of a DOUBLE value
SQRT | Returns the positive square root of a non-negative value.
  (value INTEGER) -> DOUBLE | Returns the correctly rounded positive square root of an INT value
  (value BIGINT) -> DOUBLE | Returns the correctly rounded positive square root of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the correctly rounded positive square root of a DOUBLE value
TAN | Returns the tangent of an INT, BIGINT, or DOUBLE value. The value is in radians.
  (value INTEGER) -> DOUBLE | Returns the tangent of an INT value
  (value BIGINT) -> DOUBLE | Returns the tangent of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the tangent of a DOUBLE value
TANH | Returns the hyperbolic tangent of an INT, BIGINT, or DOUBLE value.
  (value INTEGER) -> DOUBLE | Returns the hyperbolic tangent of an INT value
  (value BIGINT) -> DOUBLE | Returns the hyperbolic tangent of a BIGINT value
  (value DOUBLE) -> DOUBLE | Returns the hyperbolic tangent of a DOUBLE value
TRUNC | Truncates a value toward zero to the number of decimal places given by scale. If the number of decimal places is not provided it defaults to zero.
  (val INTEGER) -> INTEGER | Truncate an INT value: the value itself.
  (val BIGINT) -> BIGINT | Truncate a BIGINT value: the value itself.
  (val DOUBLE) -> BIGINT | Truncate a DOUBLE value toward zero.
  (val DOUBLE, decimalPlaces INTEGER) -> DOUBLE | Truncate a DOUBLE value to decimalPlaces decimal places.
  (val DECIMAL) -> DECIMAL | Truncate a DECIMAL value to a scale of zero.
  (val DECIMAL, decimalPlaces INTEGER) -> DECIMAL | Truncate a DECIMAL value to decimalPlaces decimal places.
GREATEST | Returns the highest non-null value among a variable number of comparable columns. If comparing columns of different numerical types, use CAST to first cast them to be of the same type.
  (val INTEGER, vals INTEGER...) -> INTEGER | The highest of INT values.
  (val BIGINT, vals BIGINT...) -> BIGINT | The highest of BIGINT values.
  (val DOUBLE, vals DOUBLE...) -> DOUBLE | The highest of DOUBLE values.
  (val DECIMAL, vals DECIMAL...) -> DECIMAL | The highest of DECIMAL values.
  (val STRING, vals STRING...) -> STRING | The highest of VARCHAR values, compared lexicographically.
  (val BYTES, vals BYTES...) -> BYTES | The highest of BYTES values.
  (val DATE, vals DATE...) -> DATE | The latest of DATE values.
  (val TIME, vals TIME...) -> TIME | The latest of TIME values.
  (val TIMESTAMP, vals TIMESTAMP...) -> TIMESTAMP | The latest of TIMESTAMP values.
LEAST | Returns the lowest non-null value among a variable number of comparable columns. If comparing columns of different numerical types, use CAST to first cast them to be of the same type.
  (val INTEGER, vals INTEGER...) -> INTEGER | The lowest of INT values.
  (val BIGINT, vals BIGINT...) -> BIGINT | The lowest of BIGINT values.
  (val DOUBLE, vals DOUBLE...) -> DOUBLE | The lowest of DOUBLE values.
  (val DECIMAL, vals DECIMAL...) -> DECIMAL | The lowest of DECIMAL values.
  (val STRING, vals STRING...) -> STRING | The lowest of VARCHAR values, compared lexicographically.
  (val BYTES, vals BYTES...) -> BYTES | The lowest of BYTES values.
  (val DATE, vals DATE...) -> DATE | The earliest of DATE values.
  (val TIME, vals TIME...) -> TIME | The earliest of TIME values.
  (val TIMESTAMP, vals TIMESTAMP...) -> TIMESTAMP | The earliest of TIMESTAMP values.
COALESCE | Returns the first parameter that is not NULL.
  (first T, others T...) -> T | Returns the first non-null value of the same type.
IFNULL | Returns expression if not NULL, otherwise the second parameter is returned.
  (expression T, altValue T) -> T | Returns expression if not NULL, otherwise altValue.
NULLIF | Returns NULL if the two parameters are equal, otherwise the first parameter is returned.
  (expr1 T, expr2 T) -> T | Returns NULL if expr1 equals expr2, otherwise expr1.
AS_VALUE | Used exclusively in the projection of a query to allow a key column to be copied into the value schema. Has no effect if used anywhere else.
  (keyColumn T) -> T | Copies the key column keyColumn into the value.
GEO_DISTANCE | Compute the distance between two points on the surface of the earth, according to the Haversine formula for "great circle distance".
  (lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) -> DOUBLE | The great-circle distance in kilometers between (lat1, lon1) and (lat2, lon2).
  (lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, units STRING) -> DOUBLE | The great-circle distance in the given units: 'KM' (the default) or 'MI'.
URL_DECODE_PARAM | Decodes a previously encoded URL into plain text.
  (input STRING) -> STRING | Decodes the application/x-www-form-urlencoded input.
URL_ENCODE_PARAM | Returns a version of the input with all URL sensitive characters encoded using the application/x-www-form-urlencoded standard.
  (input STRING) -> STRING | Encodes input for use as a URL query parameter.
URL_EXTRACT_FRAGMENT | Extracts the fragment of a URL.
  (input STRING) -> STRING | The decoded fragment of the URL input, NULL if it has none.
URL_EXTRACT_HOST | Extracts the host-name of a URL.
  (input STRING) -> STRING | The host-name of the URL input.
URL_EXTRACT_PARAMETER | Extracts a parameter value from the query portion of a URL.
  (input STRING, paramToFind STRING) -> STRING | The decoded value of the query parameter paramToFind of the URL input.
URL_EXTRACT_PATH | Extracts the path of a URL.
  (input STRING) -> STRING | The decoded path of the URL input.
URL_EXTRACT_PORT | Extracts the port of a URL.
  (input STRING) -> INTEGER | The port of the URL input, NULL if it has no explicit port.
URL_EXTRACT_PROTOCOL | Extracts the protocol of a URL.
  (input STRING) -> STRING | The protocol (scheme) of the URL input.
URL_EXTRACT_QUERY | Extracts the query portion of a URL.
  (input STRING) -> STRING | The decoded query-string of the URL input.
"""
