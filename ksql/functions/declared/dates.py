"""Declared signatures of the date and time scalar functions.

The declaration language is described in ksql/functions/declared/__init__.py; overviews and
parameter names follow ksqlDB's built-in functions. `INTERVALUNIT` is the type of a unit of
time written as a keyword (DAYS, HOURS, ...), as ksqlDB lists it.
"""

DECLARED = """
CONVERT_TZ | Converts a TIMESTAMP value from one timezone to another.
  (timestamp TIMESTAMP, fromTimeZone STRING, toTimeZone STRING) -> TIMESTAMP | Converts the wall-clock timestamp from fromTimeZone to toTimeZone.
DATEADD | Adds a duration to a DATE value.
  (unit INTERVALUNIT, interval INTEGER, date DATE) -> DATE | Adds interval units of time to date.
  (unit INTERVALUNIT, interval BIGINT, date DATE) -> DATE | Adds interval units of time to date.
DATESUB | Subtracts a duration from a DATE value.
  (unit INTERVALUNIT, interval INTEGER, date DATE) -> DATE | Subtracts interval units of time from date.
  (unit INTERVALUNIT, interval BIGINT, date DATE) -> DATE | Subtracts interval units of time from date.
DATETOSTRING | Converts an integer representation of a date (days since epoch) into a string representing the date in the given format. (Deprecated: use FORMAT_DATE.)
  (epochDays INTEGER, formatPattern STRING) -> STRING | Formats the date epochDays days after 1970-01-01 with the java.text.SimpleDateFormat pattern formatPattern.
FORMAT_DATE | Converts a DATE value into a string representing the date in the given format.
  (date DATE, formatPattern STRING) -> STRING | Formats date with the java.text.SimpleDateFormat pattern formatPattern.
FORMAT_TIME | Converts a TIME value into the string representation of the time in the given format.
  (time TIME, formatPattern STRING) -> STRING | Formats time with the java.text.SimpleDateFormat pattern formatPattern.
FORMAT_TIMESTAMP | Converts a TIMESTAMP value into the string representation of the timestamp in the given format.
  (timestamp TIMESTAMP, formatPattern STRING) -> STRING | Formats timestamp, in UTC, with the java.text.SimpleDateFormat pattern formatPattern.
  (timestamp TIMESTAMP, formatPattern STRING, timeZone STRING) -> STRING | Formats timestamp, in the time zone timeZone, with the java.text.SimpleDateFormat pattern formatPattern.
FROM_DAYS | Converts an INT number of days since epoch to a DATE value.
  (days INTEGER) -> DATE | The date days days after 1970-01-01.
FROM_UNIXTIME | Converts a BIGINT millisecond timestamp value into a TIMESTAMP value.
  (epochMilli BIGINT) -> TIMESTAMP | The timestamp epochMilli milliseconds after 1970-01-01T00:00:00Z.
PARSE_DATE | Converts a string representation of a date in the given format into a DATE value.
  (formattedDate STRING, formatPattern STRING) -> DATE | Parses formattedDate with the java.text.SimpleDateFormat pattern formatPattern.
PARSE_TIME | Converts a string representation of a time in the given format into a TIME value.
  (formattedTime STRING, formatPattern STRING) -> TIME | Parses formattedTime with the java.text.SimpleDateFormat pattern formatPattern.
PARSE_TIMESTAMP | Converts a string representation of a timestamp in the given format into a TIMESTAMP value.
  (formattedTimestamp STRING, formatPattern STRING) -> TIMESTAMP | Parses formattedTimestamp, in UTC, with the java.text.SimpleDateFormat pattern formatPattern.
  (formattedTimestamp STRING, formatPattern STRING, timeZone STRING) -> TIMESTAMP | Parses formattedTimestamp, in the time zone timeZone, with the java.text.SimpleDateFormat pattern formatPattern.
STRINGTODATE | Converts a string representation of a date into an integer representing days since epoch using the given format pattern. (Deprecated: use PARSE_DATE.)
  (formattedDate STRING, formatPattern STRING) -> INTEGER | The days since 1970-01-01 of formattedDate, parsed with the java.text.SimpleDateFormat pattern formatPattern.
STRINGTOTIMESTAMP | Converts a string value in the given format into the BIGINT value that represents the millisecond timestamp. (Deprecated: use PARSE_TIMESTAMP.)
  (formattedTimestamp STRING, formatPattern STRING) -> BIGINT | The epoch milliseconds of formattedTimestamp, in UTC, parsed with formatPattern.
  (formattedTimestamp STRING, formatPattern STRING, timeZone STRING) -> BIGINT | The epoch milliseconds of formattedTimestamp, in the time zone timeZone, parsed with formatPattern.
TIMEADD | Adds a duration to a TIME value.
  (unit INTERVALUNIT, interval INTEGER, time TIME) -> TIME | Adds interval units of time to time.
  (unit INTERVALUNIT, interval BIGINT, time TIME) -> TIME | Adds interval units of time to time.
TIMESUB | Subtracts a duration from a TIME value.
  (unit INTERVALUNIT, interval INTEGER, time TIME) -> TIME | Subtracts interval units of time from time.
  (unit INTERVALUNIT, interval BIGINT, time TIME) -> TIME | Subtracts interval units of time from time.
TIMESTAMPADD | Adds a duration to a TIMESTAMP value.
  (unit INTERVALUNIT, interval INTEGER, timestamp TIMESTAMP) -> TIMESTAMP | Adds interval units of time to timestamp.
  (unit INTERVALUNIT, interval BIGINT, timestamp TIMESTAMP) -> TIMESTAMP | Adds interval units of time to timestamp.
TIMESTAMPSUB | Subtracts a duration from a TIMESTAMP value.
  (unit INTERVALUNIT, interval INTEGER, timestamp TIMESTAMP) -> TIMESTAMP | Subtracts interval units of time from timestamp.
  (unit INTERVALUNIT, interval BIGINT, timestamp TIMESTAMP) -> TIMESTAMP | Subtracts interval units of time from timestamp.
TIMESTAMPTOSTRING | Converts a BIGINT millisecond timestamp value into the string representation of the timestamp in the given format. (Deprecated: use FORMAT_TIMESTAMP.)
  (epochMilli BIGINT, formatPattern STRING) -> STRING | Formats epochMilli, in UTC, with the java.text.SimpleDateFormat pattern formatPattern.
  (epochMilli BIGINT, formatPattern STRING, timeZone STRING) -> STRING | Formats epochMilli, in the time zone timeZone, with the java.text.SimpleDateFormat pattern formatPattern.
UNIX_DATE | Gets an integer representing days since epoch.
  () -> INTEGER | The current date as days since 1970-01-01.
  (date DATE) -> INTEGER | date as days since 1970-01-01.
UNIX_TIMESTAMP | Gets the Unix timestamp in milliseconds, represented as a BIGINT.
  () -> BIGINT | The current time as milliseconds since 1970-01-01T00:00:00Z.
  (timestamp TIMESTAMP) -> BIGINT | timestamp as milliseconds since 1970-01-01T00:00:00Z.
"""
