"""A provider's DfE declarations and their exports (issue 8)."""

urlpatterns: list = []
