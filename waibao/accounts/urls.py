from django.urls import path

from waibao.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_view, name="language"),
    path("me/", views.profile_view, name="profile"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("me/two-factor/", views.two_factor_view, name="two-factor"),
    path("users/", views.user_list_view, name="users"),
    path("users/new/", views.user_edit_view, name="user-new"),
    path("users/<int:pk>/", views.user_edit_view, name="user-edit"),
    path("vendors/<int:vendor_pk>/users/", views.vendor_users_view, name="vendor-users"),
    path("invitations/<int:pk>/<str:action>/", views.invitation_action_view, name="invitation-action"),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
]
