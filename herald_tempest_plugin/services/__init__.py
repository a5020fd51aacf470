from herald_tempest_plugin.services.messages_client import MessagesClient

__all__ = ["MessagesClient"]
