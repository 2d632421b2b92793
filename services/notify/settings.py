from libs.runtime.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """In-app notifications only for now: email and webhook channels come with the launches issue."""
