from libs.runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's settings: the shared ones for now (broker, database, signing key)."""
