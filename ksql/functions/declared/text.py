"""Declared signatures of the string, bytes and JSON scalar functions.

The declaration language is described in ksql/functions/declared/__init__.py; overviews and
parameter names follow ksqlDB's built-in functions.
"""

DECLARED = """
CHR | Returns a single-character string representing the Unicode code-point described by the input. The input parameter can be either a decimal character code or a string representation of a UTF-16 character code.
  (decimalCode INTEGER) -> STRING | The character of the decimal code point decimalCode.
  (utf16Code STRING) -> STRING | The character of the UTF-16 code utf16Code, such as '\\u004b'.
CONCAT | Concatenate an arbitrary number of string or bytes fields together.
  (inputs STRING...) -> STRING | Concatenate the VARCHAR inputs, skipping nulls.
  (inputs BYTES...) -> BYTES | Concatenate the BYTES inputs, skipping nulls.
CONCAT_WS | Concatenates two or more string expressions, inserting a separator string between each.
  (separator STRING, args STRING...) -> STRING | Concatenate the VARCHAR args with separator between them, skipping nulls.
ENCODE | Takes an input string s, which is encoded as input_encoding, and encodes it as output_encoding. The accepted input and output encodings are: hex, utf8, ascii and base64.
  (str STRING, inputEncoding STRING, outputEncoding STRING) -> STRING | Re-encodes str from inputEncoding to outputEncoding.
EXTRACTJSONFIELD | Given a STRING that contains JSON data, extract the value at the specified JSONPath or NULL if the specified path does not exist.
  (input STRING, path STRING) -> STRING | The value at the JSONPath path in the JSON text input.
FROM_BYTES | Converts a BYTES value to STRING in the specified encoding. The accepted encoders are 'hex', 'utf8', 'ascii', and 'base64'.
  (bytes BYTES, encoding STRING) -> STRING | Converts bytes to a VARCHAR in encoding.
INITCAP | Capitalizes the first letter in each word and converts all other letters to lowercase. Words are delimited by whitespace.
  (input STRING) -> STRING | input with each word capitalized.
INSTR | Returns the position of substring in string. The first character is at position 1.
  (str STRING, substring STRING) -> INTEGER | The position of the first occurrence of substring in str, 0 if none.
  (str STRING, substring STRING, position INTEGER) -> INTEGER | The position of the first occurrence of substring in str from position (from the end if negative).
  (str STRING, substring STRING, position INTEGER, occurrence INTEGER) -> INTEGER | The position of the occurrence-th occurrence of substring in str from position.
IS_JSON_STRING | Given a string, returns true if it can be parsed as a valid JSON value, false otherwise.
  (input STRING) -> BOOLEAN | Whether input is valid JSON.
JSON_ARRAY_CONTAINS | Parses a JSON array and determines whether or not the supplied value is contained within the array.
  (jsonArray STRING, val T) -> BOOLEAN | Whether the JSON array jsonArray holds val.
JSON_ARRAY_LENGTH | Given a string, parses it as a JSON value and returns the length of the top-level array.
  (input STRING) -> INTEGER | The length of the JSON array input, NULL if it is not a JSON array.
JSON_CONCAT | Given N strings, parse them as JSON values and return a string representing their concatenation. Concatenation rules are identical to PostgreSQL's || operator.
  (jsonStrings STRING...) -> STRING | The concatenation of the JSON values jsonStrings.
JSON_ITEMS | Given a string with JSON array, converts it to an array of JSON strings.
  (jsonItems STRING) -> ARRAY<STRING> | The items of the JSON array jsonItems as JSON text.
JSON_KEYS | Given a string, parses it as a JSON object and returns an array of strings representing the top-level keys.
  (input STRING) -> ARRAY<STRING> | The top-level keys of the JSON object input.
JSON_RECORDS | Given a string, parses it as a JSON object and returns a map representing the top-level keys and values.
  (input STRING) -> MAP<STRING, STRING> | The top-level keys of the JSON object input, each with its value as JSON text.
LCASE | Converts a string to lowercase.
  (input STRING) -> STRING | input in lowercase.
LEN, LENGTH | Returns the length of a string or bytes value.
  (input STRING) -> INTEGER | The number of characters in input.
  (input BYTES) -> INTEGER | The number of bytes in input.
LPAD | Pads the input string, beginning from the left, with the specified padding string, until the target length is reached. If the input is longer than the specified target length, it will be truncated. If the padding string is empty or NULL, or the target length is negative, NULL is returned.
  (input STRING, targetLen INTEGER, padding STRING) -> STRING | input padded on the left with padding to targetLen characters.
LTRIM | Removes leading whitespace from a string.
  (input STRING) -> STRING | input without leading whitespace.
MASK | Returns a version of the input string with every character replaced by a mask. Default masking rules will replace all upper-case characters with 'X', all lower-case characters with 'x', all digits with 'n', and any other character with '-'.
  (input STRING) -> STRING | input with every character masked by the default rules.
  (input STRING, upper STRING, lower STRING, digit STRING, other STRING) -> STRING | input masked with the given characters; NULL leaves that class unmasked.
MASK_KEEP_LEFT | Returns a version of the input string with all but the specified number of left-most characters masked.
  (input STRING, numChars INTEGER) -> STRING | input with all but its first numChars characters masked by the default rules.
  (input STRING, numChars INTEGER, upper STRING, lower STRING, digit STRING, other STRING) -> STRING | input with all but its first numChars characters masked with the given characters.
MASK_KEEP_RIGHT | Returns a version of the input string with all but the specified number of right-most characters masked.
  (input STRING, numChars INTEGER) -> STRING | input with all but its last numChars characters masked by the default rules.
  (input STRING, numChars INTEGER, upper STRING, lower STRING, digit STRING, other STRING) -> STRING | input with all but its last numChars characters masked with the given characters.
MASK_LEFT | Returns a version of the input string with the specified number of left-most characters masked.
  (input STRING, numChars INTEGER) -> STRING | input with its first numChars characters masked by the default rules.
  (input STRING, numChars INTEGER, upper STRING, lower STRING, digit STRING, other STRING) -> STRING | input with its first numChars characters masked with the given characters.
MASK_RIGHT | Returns a version of the input string with the specified number of right-most characters masked.
  (input STRING, numChars INTEGER) -> STRING | input with its last numChars characters masked by the default rules.
  (input STRING, numChars INTEGER, upper STRING, lower STRING, digit STRING, other STRING) -> STRING | input with its last numChars characters masked with the given characters.
MD5 | Returns the hex-encoded MD5 hash of the input string.
  (input STRING) -> STRING | The hex-encoded MD5 hash of input.
REGEXP_EXTRACT | Extract the first subtring matched by a regex pattern.
  (pattern STRING, input STRING) -> STRING | The first substring of input that matches pattern, NULL if none.
  (pattern STRING, input STRING, group INTEGER) -> STRING | Capturing group group of the first match of pattern in input.
REGEXP_EXTRACT_ALL | Extract all subtrings matched by a regex pattern.
  (pattern STRING, input STRING) -> ARRAY<STRING> | Every substring of input that matches pattern.
  (pattern STRING, input STRING, group INTEGER) -> ARRAY<STRING> | Capturing group group of every match of pattern in input.
REGEXP_REPLACE | Replace all matches of a regex in an input string with a new string.
  (input STRING, regex STRING, replacement STRING) -> STRING | input with every match of regex replaced by replacement.
REGEXP_SPLIT_TO_ARRAY | Splits a string into an array of substrings based on a regular expression.
  (string STRING, regexp STRING) -> ARRAY<STRING> | string split around the matches of regexp.
REPLACE | Replaces all occurrences of a substring in a string with a new substring.
  (str STRING, substring STRING, replacement STRING) -> STRING | str with every occurrence of substring replaced by replacement.
RPAD | Pads the input string, starting from the end, with the specified padding string, until the target length is reached. If the input is longer than the specified target length, it will be truncated. If the padding string is empty or NULL, or the target length is negative, NULL is returned.
  (input STRING, targetLen INTEGER, padding STRING) -> STRING | input padded on the right with padding to targetLen characters.
RTRIM | Removes trailing whitespace from a string.
  (input STRING) -> STRING | input without trailing whitespace.
SPLIT | Splits a string into an array of substrings, or bytes into an array of subarrays, based on a delimiter.
  (string STRING, delimiter STRING) -> ARRAY<STRING> | string split around delimiter; an empty delimiter splits every character.
  (bytes BYTES, delimiter BYTES) -> ARRAY<BYTES> | bytes split around delimiter; an empty delimiter splits every byte.
SPLIT_TO_MAP | Splits a string into key-value pairs and creates a map from them. The 'entryDelimiter' splits the string into key-value pairs which are then split by 'kvDelimiter'. If the same key is present multiple times in the input, the latest value for that key is returned. Returns NULL if the input text or either of the delimiters is NULL.
  (input STRING, entryDelimiter STRING, kvDelimiter STRING) -> MAP<STRING, STRING> | The entries of input split by entryDelimiter, each split into key and value by kvDelimiter.
SUBSTRING | Returns the portion of the string or bytes passed in value.
  (str STRING, pos INTEGER) -> STRING | Returns the portion of str from pos to the end of str.
  (str STRING, pos INTEGER, length INTEGER) -> STRING | Returns the portion of str that starts at pos and is of length length.
  (bytes BYTES, pos INTEGER) -> BYTES | Returns the portion of bytes from pos to the end of bytes.
  (bytes BYTES, pos INTEGER, length INTEGER) -> BYTES | Returns the portion of bytes that starts at pos and is of length length.
TO_BYTES | Converts a STRING value in the specified encoding to BYTES. The accepted encoders are 'hex', 'utf8', 'ascii', and 'base64'.
  (str STRING, encoding STRING) -> BYTES | Converts str, encoded in encoding, to BYTES.
TO_JSON_STRING | Given any ksqlDB type returns the equivalent JSON string.
  (input T) -> STRING | input as JSON text.
TRIM | Removes the spaces from the beginning and end of a string.
  (input STRING) -> STRING | input without leading and trailing whitespace.
UCASE | Converts a string to uppercase.
  (input STRING) -> STRING | input in uppercase.
UUID | Create a Universally Unique Identifier (UUID) generated according to RFC 4122. A call to UUID() returns a value conforming to UUID version 4, sometimes called random UUID, as described in RFC 4122. The value is a 128-bit number represented as a string of five hexadecimal numbers aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.
  () -> STRING | A random (version 4) UUID.
BIGINT_FROM_BYTES | Converts a BYTES value to a BIGINT value according to the specified byte order. BYTES must be 8 bytes long or a NULL value will be returned.
  (value BYTES) -> BIGINT | The BIGINT of the 8 bytes value, big-endian.
  (value BYTES, byteOrder STRING) -> BIGINT | The BIGINT of the 8 bytes value in byteOrder: 'BIG_ENDIAN' or 'LITTLE_ENDIAN'.
DOUBLE_FROM_BYTES | Converts a BYTES value to a DOUBLE value according to the specified byte order. BYTES must be 8 bytes long or a NULL value will be returned.
  (value BYTES) -> DOUBLE | The DOUBLE (IEEE 754) of the 8 bytes value, big-endian.
  (value BYTES, byteOrder STRING) -> DOUBLE | The DOUBLE (IEEE 754) of the 8 bytes value in byteOrder: 'BIG_ENDIAN' or 'LITTLE_ENDIAN'.
INT_FROM_BYTES | Converts a BYTES value to an INT value according to the specified byte order. BYTES must be 4 bytes long or a NULL value will be returned.
  (value BYTES) -> INTEGER | The INT of the 4 bytes value, big-endian.
  (value BYTES, byteOrder STRING) -> INTEGER | The INT of the 4 bytes value in byteOrder: 'BIG_ENDIAN' or 'LITTLE_ENDIAN'.
"""
