app_name = "flags"
urlpatterns = []
