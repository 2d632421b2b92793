from libs.runtime.settings import ServiceSettings


class LaunchesSettings(ServiceSettings):
    """Nothing of its own yet: Linear and Jira sync settings come with the launches issue."""
