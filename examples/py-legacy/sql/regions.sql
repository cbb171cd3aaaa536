-- Run by the DBA in legacy_test, as an administrator, before the test suite.
CREATE TABLE regions (code CHAR(2) NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL);
INSERT INTO regions (code, name) VALUES ('EU', 'Europe'), ('NA', 'North America'), ('AP', 'Asia Pacific');
