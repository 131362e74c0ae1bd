"""The Redis broker transport, with one fix for a worker that would otherwise exit when Redis restarts.

kombu 5.7: when the worker loses its broker connection, Celery collects the connection (which clears the
transport's link to it) and then closes it; closing the channel puts the unacknowledged messages back
(``acks_late``: every task in flight), which needs the connection's host and port — read through the
link just cleared: ``AttributeError: 'NoneType' object has no attribute 'hostname'``, "Unrecoverable
error", the worker exits (tests/test_reminder_faults.py reproduces it). The same happens to the ack of a
task that finishes after the reconnect. The channel keeps the connection it was made for and uses it once
the transport has forgotten it: the messages are put back (or, with Redis still down, left in its unacked
set for the visibility timeout) and late acks reach Redis.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._client_connection = self.connection.client

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:  # collected after a lost connection
            self.connection.client = self._client_connection
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel
