"""Stubs generated from proto/kv/v1/kv.proto by clients/python/generate.sh.

``kv_pb2`` (messages, the ErrorCode enum) and ``kv_pb2_grpc`` (the KeyValue
stub) are protoc's output, committed as is: regenerate them, never edit them.
"""
