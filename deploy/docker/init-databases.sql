-- One database per service (API.md, Services and ports).
CREATE DATABASE ats;
CREATE DATABASE bd;
CREATE DATABASE ta;
