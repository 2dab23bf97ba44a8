"""The built-in schema registry: store (`store`), compatibility rules, Confluent's REST API (`rest`).

Importing the package loads nothing, so users of the store alone do not pull in the web stack.
"""
