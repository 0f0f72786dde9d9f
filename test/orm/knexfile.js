// test/orm/knexfile.js: the knex project of test/t/016_orm.pl, which runs
// `knex migrate:latest` and friends on the files migrate.export_all()
// wrote into ./migrations and ./seeds of the working directory.
'use strict';
module.exports = {
  client: 'pg',
  connection: {
    host: process.env.PGHOST,
    port: process.env.PGPORT,
    user: process.env.PGUSER,
    database: process.env.PGDATABASE,
  },
  migrations: { directory: `${process.cwd()}/migrations` },
  seeds: { directory: `${process.cwd()}/seeds` },
};
