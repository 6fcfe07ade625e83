from corridor.cases.views import cases, documents, people, safehouses, workflow

app_name = "cases"

urlpatterns = [
    *people.urlpatterns,
    *cases.urlpatterns,
    *workflow.urlpatterns,
    *safehouses.urlpatterns,
    *documents.urlpatterns,
]
