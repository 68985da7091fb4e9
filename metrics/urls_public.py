"""The metrics pages outside one provider's own: the public published tables and platform staff's comparison."""

urlpatterns: list = []
