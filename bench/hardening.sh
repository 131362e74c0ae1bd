#!/bin/bash
# Issue 14's reproducers against gunicorn with DEBUG=0 on a throwaway PostgreSQL and Redis:
#
#     .venv/bin/python -m tests.harness -- bash bench/hardening.sh
#
# Brute force through the token view with a new X-Forwarded-For each time, the same on /login/ and the
# admin, crafted bodies and query parameters, then the headers in the intranet and the HTTPS mode.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export DEBUG=0 SECRET_KEY=probe-secret-key-$(date +%s)-not-for-production ALLOWED_HOSTS=127.0.0.1 PLAIN_HTTP=1 STATIC_ROOT=$T/static
.venv/bin/python - <<'PY'
import os, psycopg2
from urllib.parse import urlsplit
u = urlsplit(os.environ["DATABASE_URL"])
c = psycopg2.connect(host=u.hostname, port=u.port, user=u.username, password=u.password, dbname="postgres")
c.autocommit = True
c.cursor().execute(f'CREATE DATABASE "{u.path.lstrip("/")}"')
PY
.venv/bin/python manage.py migrate -v0 && .venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py shell -c "
from accounts.models import User, Region
from accounts.choices import Role, RegionLevel
r=Region.objects.create(code='410700', name='新乡市', level=RegionLevel.CITY)
c=Region.objects.create(code='410702', name='红旗区', level=RegionLevel.COUNTY, parent=r)
User.objects.create_user('hq_officer', password='demo12345', role=Role.COUNTY_OFFICER, region=c)
User.objects.create_user('admin', password='demo12345', role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
"
.venv/bin/gunicorn config.wsgi --bind 127.0.0.1:${PORT:-8765} --workers 2 --no-control-socket >$T/gunicorn.log 2>&1 &
GPID=$!
for i in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:${PORT:-8765}/login/ && break; sleep 0.3; done
B=http://127.0.0.1:${PORT:-8765}
echo "== token view: 30 wrong passwords, 30 X-Forwarded-For values =="
for n in $(seq 1 30); do curl -s -o /dev/null -w '%{http_code} ' -X POST $B/api/v1/auth/token/ -H 'Content-Type: application/json' -H "X-Forwarded-For: 203.0.113.$n" -d '{"username":"hq_officer","password":"wrong'$n'"}'; done; echo
echo "right password then:"; curl -s -D - -X POST $B/api/v1/auth/token/ -H 'Content-Type: application/json' -H 'X-Forwarded-For: 203.0.113.99' -d '{"username":"hq_officer","password":"demo12345"}' | grep -iE "^HTTP|retry-after|code"; echo
echo "== /login/: 30 wrong passwords (fresh username admin) =="
jar=$T/jar; rm -f $jar
token() { curl -s -c $jar -b $jar $B$1 | grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' | sed 's/.*value="//;s/"//'; }
locked=0
for n in $(seq 1 30); do t=$(token /login/); out=$(curl -s -c $jar -b $jar -X POST $B/login/ -d "csrfmiddlewaretoken=$t&username=admin&password=wrong$n" -H "Referer: $B/login/" -H "X-Forwarded-For: 198.51.100.$n"); echo "$out" | grep -q "登录失败次数过多" && locked=$((locked+1)); done
echo "refused as locked: $locked of 30"
t=$(token /login/); curl -s -o $T/right.html -w 'right password: %{http_code}\n' -c $jar -b $jar -X POST $B/login/ -d "csrfmiddlewaretoken=$t&username=admin&password=demo12345" -H "Referer: $B/login/"; grep -o "登录失败次数过多[^<]*" $T/right.html
echo "== /admin/login/ right password while locked =="
t=$(token /admin/login/); curl -s -o $T/admin.html -w 'admin: %{http_code}\n' -c $jar -b $jar -X POST $B/admin/login/ -d "csrfmiddlewaretoken=$t&username=admin&password=demo12345&next=/admin/" -H "Referer: $B/admin/login/"; grep -o "登录失败次数过多[^<]*" $T/admin.html | head -1
echo "== crafted input =="
TOK=$(.venv/bin/python manage.py shell -c "from rest_framework.authtoken.models import Token; from accounts.models import User; print(Token.objects.get_or_create(user=User.objects.get(username='hq_officer'))[0].key)" | tail -1)
H="Authorization: Token $TOK"
python3 -c "print('['*50000+']'*50000)" > $T/deep.json
curl -s -o /dev/null -w 'deep JSON: %{http_code}\n' -X POST $B/api/v1/hazards/ -H "$H" -H 'Content-Type: application/json' --data-binary @$T/deep.json
python3 -c "print('&'.join(f'f{n}=x' for n in range(1001)))" > $T/fields.txt
curl -s -o /dev/null -w '1001 fields: %{http_code}\n' -X POST $B/api/v1/hazards/ -H "$H" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @$T/fields.txt
args=(); for n in $(seq 0 100); do args+=(-F "f$n=@$T/fields.txt"); done
curl -s -o /dev/null -w '101 files: %{http_code}\n' -X POST $B/api/v1/hazards/ -H "$H" "${args[@]}"
for q in 'units/?q=a%00' 'regions/?parent=4%00' 'regions/?level=county%00' 'hazards/?unit=9223372036854775808' 'hazards/?updated_after=2026-06-01T12:00:00%2B16:00' 'hazards/?found_after=2026-06-01T12:00:00-16:00' 'hazards/?found_before=2026-06-01T12:00:00%2B23:59' 'hazards/?statuss=closed'; do curl -s -o /dev/null -w "$q: %{http_code}\n" "$B/api/v1/$q" -H "$H"; done
echo "== headers, PLAIN_HTTP=1 =="
curl -s -D - -o /dev/null $B/login/ | grep -iE "^HTTP|content-security|permissions-policy|strict-transport|x-frame"
kill $GPID; wait $GPID 2>/dev/null
echo "5xx in gunicorn log: $(grep -cE '" 5[0-9][0-9] ' $T/gunicorn.log)"
echo "== headers, HTTPS behind a TLS proxy (TRUST_X_FORWARDED_PROTO=1) =="
PLAIN_HTTP=0 TRUST_X_FORWARDED_PROTO=1 NUM_PROXIES=1 .venv/bin/gunicorn config.wsgi --bind 127.0.0.1:${PORT:-8765} --workers 1 --no-control-socket >$T/gunicorn2.log 2>&1 &
GPID=$!
for i in $(seq 1 50); do curl -s -o /dev/null $B/login/ && break; sleep 0.3; done
curl -s -D - -o /dev/null $B/login/ | grep -iE "^HTTP|^location"
curl -s -D - -o /dev/null $B/login/ -H 'X-Forwarded-Proto: https' | grep -iE "^HTTP|strict-transport|content-security"
kill $GPID; wait $GPID 2>/dev/null
