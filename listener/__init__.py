"""Intake from the broker, the daemon's services and its command lines.

Importing this package chooses nothing for the process: services import
:mod:`listener.emitter` from processes that have already selected their own
oslo.service backend (often eventlet). herald's own processes select the
threading backend in :mod:`listener.cmd`, before anything imports
oslo.messaging.
"""
