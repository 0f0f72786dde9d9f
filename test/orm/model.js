// test/orm/model.js: a small Sequelize model, brought to stage N with
// sync({ alter: true }), as an application does at every start.
//
//   node model.js N      (PGHOST, PGPORT, PGUSER, PGDATABASE say where)
//
// 1: three tables with foreign keys; 2: a new column; 3: an attribute
// renamed in the model only (same column); 4: a real column rename.
// Used by test/t/016_orm.pl.
'use strict';
const { Sequelize, DataTypes } = require('sequelize');

const stage = parseInt(process.argv[2], 10);
const sequelize = new Sequelize(process.env.PGDATABASE, process.env.PGUSER, null, {
  host: process.env.PGHOST,
  port: process.env.PGPORT,
  dialect: 'postgres',
  logging: false,
});

const User = sequelize.define('User', {
  name: DataTypes.STRING,
  ...(stage >= 2 ? { email: DataTypes.STRING } : {}),
});
const Post = sequelize.define('Post', {
  ...(stage >= 3 ? { heading: { type: DataTypes.STRING, field: 'title' } }
    : { title: DataTypes.STRING }),
  body: DataTypes.TEXT,
});
const Comment = sequelize.define('Comment', stage >= 4
  ? { content: DataTypes.STRING } : { text: DataTypes.STRING });
User.hasMany(Post);
Post.belongsTo(User);
Post.hasMany(Comment);
Comment.belongsTo(Post);

(async () => {
  if (stage === 4) {
    const columns = await sequelize.getQueryInterface().describeTable('Comments');
    if (columns.text)
      await sequelize.getQueryInterface().renameColumn('Comments', 'text', 'content');
  }
  await sequelize.sync({ alter: true });
  await sequelize.close();
})().catch((e) => {
  console.error(`ERROR: ${e.parent ? e.parent.message : e.message}`);
  process.exit(1);
});
