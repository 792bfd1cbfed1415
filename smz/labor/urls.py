from django.urls import path

from smz.labor import views

app_name = "labor"

urlpatterns = [
    path("projects/<int:pk>/labor/", views.project_labor, name="project"),
    path("projects/<int:pk>/labor/batches/new/", views.batch_export, name="batch_export"),
    path("labor/employments/<int:pk>/contract/", views.contract_new, name="contract_new"),
    path("labor/contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("labor/contracts/<int:pk>/<str:what>/", views.contract_file, name="contract_file"),
    path("labor/payrolls/<int:pk>/", views.payroll_detail, name="payroll"),
    path("labor/payrolls/<int:pk>/act/", views.payroll_act, name="payroll_act"),
    path("labor/batches/<int:pk>/", views.batch_detail, name="batch"),
    path("labor/slips/<int:pk>.pdf", views.pay_slip, name="pay_slip"),
    path("labor/employments/<int:pk>/exit/", views.exit_page, name="exit"),
    path("labor/employments/<int:pk>/entry/", views.entry_page, name="entry"),
    path("labor/exits/<int:pk>.pdf", views.exit_pdf, name="exit_pdf"),
    path("labor/alerts/", views.alerts, name="alerts"),
    path("me/wages/", views.my_wages, name="my_wages"),
    path("me/complaints/", views.my_complaints, name="my_complaints"),
    path("complaint/<str:code>/", views.complaint_qr, name="complaint_qr"),
    path("labor/complaints/", views.complaint_list, name="complaints"),
    path("projects/<int:pk>/labor/notice-board.pdf", views.notice_board, name="notice_board"),
]
