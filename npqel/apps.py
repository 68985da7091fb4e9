from django.apps import AppConfig


class NpqelConfig(AppConfig):
    name = "npqel"
    verbose_name = "NPQEL platform"
