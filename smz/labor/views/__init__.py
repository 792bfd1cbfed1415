"""Labor pages, one module per area: project (the hub and notice board), contracts, payroll (sheets and
payment batches), worker (his own pages), exit_pages, authority (alerts, complaints), entry_desk."""
