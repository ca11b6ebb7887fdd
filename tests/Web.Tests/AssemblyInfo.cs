// Each test class starts a Host, the UI server and Chromium; on two cores they run one class at a time, so a
// page's wait measures the page and not three other platforms starting beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
