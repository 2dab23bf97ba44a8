"""Scale-out on Kafka: the shared command topic, per-query consumer groups, changelog restore."""
