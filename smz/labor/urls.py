from django.urls import path

from smz.labor.views import (
    authority,
    contracts,
    entry_desk,
    exit_pages,
    payroll,
    project,
    worker,
)

app_name = "labor"

urlpatterns = [
    path("projects/<int:pk>/labor/", project.project_labor, name="project"),
    path("projects/<int:pk>/labor/batches/new/", payroll.batch_export, name="batch_export"),
    path("labor/employments/<int:pk>/contract/", contracts.contract_new, name="contract_new"),
    path("labor/contracts/<int:pk>/", contracts.contract_detail, name="contract"),
    path("labor/contracts/<int:pk>/<str:what>/", contracts.contract_file, name="contract_file"),
    path("labor/payrolls/<int:pk>/", payroll.payroll_detail, name="payroll"),
    path("labor/payrolls/<int:pk>/act/", payroll.payroll_act, name="payroll_act"),
    path("labor/batches/<int:pk>/", payroll.batch_detail, name="batch"),
    path("labor/slips/<int:pk>.pdf", worker.pay_slip, name="pay_slip"),
    path("labor/employments/<int:pk>/exit/", exit_pages.exit_page, name="exit"),
    path("labor/employments/<int:pk>/entry/", entry_desk.entry_page, name="entry"),
    path("labor/exits/<int:pk>.pdf", exit_pages.exit_pdf, name="exit_pdf"),
    path("labor/alerts/", authority.alerts, name="alerts"),
    path("me/wages/", worker.my_wages, name="my_wages"),
    path("me/complaints/", worker.my_complaints, name="my_complaints"),
    path("me/profile/", worker.my_profile, name="my_profile"),
    path("complaint/<str:code>/", worker.complaint_qr, name="complaint_qr"),
    path("labor/complaints/", authority.complaint_list, name="complaints"),
    path("labor/holds/", authority.legal_holds, name="holds"),
    path("projects/<int:pk>/labor/notice-board.pdf", project.notice_board, name="notice_board"),
]
