"""Mark schemes: a task's criteria, failure-level omissions, pass mark and band, second-marking share (issue 7)."""

urlpatterns: list = []
