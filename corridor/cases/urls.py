from corridor.cases.views import cases, documents, ownership, people, safehouses, workflow

app_name = "cases"

urlpatterns = [
    *people.urlpatterns,
    *cases.urlpatterns,
    *workflow.urlpatterns,
    *safehouses.urlpatterns,
    *documents.urlpatterns,
    *ownership.urlpatterns,
]
