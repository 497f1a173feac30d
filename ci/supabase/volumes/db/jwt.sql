-- The JWT lifetime as a database setting, as the self-hosted stack configures it (read by SQL that mints or
-- checks tokens). Run at init as the image's postgres superuser.
\set jwt_exp `echo "$JWT_EXP"`

ALTER DATABASE postgres SET "app.settings.jwt_exp" TO :'jwt_exp';
