from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from accounts import views as account_views
from npqel import views
from npqel.health import health
from programmes import views as programme_views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("account/", account_views.account, name="account"),
    path("account/api-keys/<int:pk>/revoke/", account_views.api_token_revoke, name="api_token_revoke"),
    path("invitations/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("invitations/<int:pk>/revoke/", account_views.invitation_revoke, name="invitation_revoke"),
    path("platform/people/", account_views.platform_people, name="platform_people"),
    path("platform/people/invite/", account_views.invite, name="platform_invite"),
    path("providers/", programme_views.provider_list, name="provider_list"),
    path("providers/<slug:slug>/", programme_views.provider_detail, name="provider_detail"),
    path("providers/<slug:slug>/people/", programme_views.provider_people, name="provider_people"),
    path("providers/<slug:slug>/people/invite/", account_views.invite, name="provider_invite"),
    path("api/v1/", include(("npqel.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_docs"),
]
