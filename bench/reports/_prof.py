import time
from bench.reports.live import arguments, loaded
args = arguments("x").parse_args(["--rows", "1000000"])
with loaded(args):
    from django.conf import settings
    settings.DEBUG = True
    from django.test import Client
    from django.db import connection, reset_queries
    from accounts.models import User
    from reports import rollup
    from reports.models import RollupState, CountyRollup, ClosureRollup
    from django.utils import timezone
    st = RollupState.objects.first()
    if st is None or st.for_date != timezone.localdate():
        rollup.rebuild()
    print("county rows", CountyRollup.objects.count(), "fine rows", ClosureRollup.objects.count())
    c = Client(); c.force_login(User.objects.get(username="city"))
    for _ in range(3): c.get("/", secure=True)
    reset_queries()
    t=time.perf_counter(); c.get("/", secure=True); print("wall", (time.perf_counter()-t)*1000)
    qs = list(connection.queries)
    print("sql total", sum(float(q["time"]) for q in qs))
    for q in qs:
        print(q["time"], q["sql"][:150].replace("\n"," "))
    slow = max(qs, key=lambda q: float(q["time"]))
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slow["sql"])
        print("\n".join(r[0] for r in cur.fetchall()))
