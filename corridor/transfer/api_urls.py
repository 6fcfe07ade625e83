"""API routes under /api/v1/transfer/ (each part of the transfer app adds its own)."""

from django.urls import URLPattern, path

from corridor.transfer import api_erasure, api_referrals

urlpatterns: list[URLPattern] = [
    # erasure (N)
    path("people/<str:person_id>/erasure/", api_erasure.PersonErasure.as_view(), name="api-transfer-person-erasure"),
    path("erasures/<str:pk>/", api_erasure.ErasureDetail.as_view(), name="api-transfer-erasure"),
    path("erasures/<str:pk>/cancel/", api_erasure.ErasureCancel.as_view(), name="api-transfer-erasure-cancel"),
    # referrals (K)
    path("partners/", api_referrals.PartnerList.as_view(), name="api-transfer-partners"),
    path("cases/<str:case_id>/referrals/", api_referrals.CaseReferrals.as_view(), name="api-transfer-case-referrals"),
    path("referrals/<str:pk>/", api_referrals.ReferralDetail.as_view(), name="api-transfer-referral"),
    path("referrals/<str:pk>/cancel/", api_referrals.ReferralCancel.as_view(), name="api-transfer-referral-cancel"),
    path("referrals/<str:pk>/approve/", api_referrals.ReferralApprove.as_view(), name="api-transfer-referral-approve"),
    path("referral-imports/", api_referrals.ReferralImport.as_view(), name="api-transfer-referral-import"),
    path(
        "referral-imports/<str:staged>/confirm/",
        api_referrals.ReferralImportConfirm.as_view(),
        name="api-transfer-referral-import-confirm",
    ),
]
