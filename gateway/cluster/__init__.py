"""Gateway nodes that share nothing but the engines, the bus and the store (docs/scale-out.md).

`codec` (pure) turns the call events that may leave a node into msgpack records and back; `bridge` (async
shell) publishes this node's events to a Redis stream and feeds the other nodes' events into this node's
caption hub, so a caption viewer may connect to any node and `/calls` lists the calls of all of them.
"""
