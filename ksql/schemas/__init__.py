"""The built-in schema registry: the store, compatibility rules and Confluent's REST API.

Importing the package loads nothing, so users of the store alone do not pull in the web stack.
"""
