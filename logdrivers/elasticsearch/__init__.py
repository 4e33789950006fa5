"""The elasticsearch driver: ECS documents into a data stream through the official client, shipped by place."""
