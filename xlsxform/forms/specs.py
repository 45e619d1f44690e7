"""The built-in specs as they validated: generated from templates/*.toml.

load_spec() builds a spec from here, without validating it again, when
the file's text is the one it was generated from (its SHA-256 below).

Do not edit: regenerate with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

from collections.abc import Callable

from xlsxform.spec.layout import (
    Checks,
    Column,
    ExprCell,
    FieldCell,
    FieldSpec,
    FixedSection,
    Font,
    Group,
    IndicatorSection,
    Instructions,
    LabelCell,
    Level,
    Meta,
    Node,
    NoteSection,
    Page,
    Protection,
    Rule,
    RuleSpec,
    Spec,
    Style,
    TableSection,
    TitleSection,
    Total,
)


def city_department_performance() -> Spec:
    return Spec(
        form=Meta(
            id="city-department-performance",
            version="1",
            name="市级部门整体预算绩效目标表",
            sheet="绩效目标表",
            title="{year}年市级部门整体预算绩效目标表",
        ),
        protection=Protection(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "count": Rule(
                title="人数或单位数",
                prompt="请填写不小于0的整数。",
                error="须为不小于0的整数。",
            ),
            "text": Rule(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions(
            sheet="填表说明",
            title="{year}年市级部门整体预算绩效目标表 填表说明",
            lines=[
                "一、填报主体：本表由市级一级预算单位填写，每个部门一张表。",
                "二、填写范围：白色单元格可以填写；栏目名称、合计和公式单元格已锁定，无需也不能修改。",
                "三、单位：所有金额以“万元”为单位，直接填写数字（如 776.8），不要填写“万元”等文字，最多6位小数。财政供养人员数、下属二级单位数填写整数。",
                "四、部门名称：填写部门全称，与预算系统一致。",
                "五、总体绩效目标：逐条填写，每条以“目标1：”“目标2：”开头，条目之间换行（单元格内换行：Excel/WPS 按 Alt+Enter，LibreOffice 按 Ctrl+Enter）。",
                "六、年度重点工作任务：每行一项任务，填写名称、主要实施内容、拟投入的资金（万元）和期望达到的目标。“合计”行自动求和。",
                "七、其他需完成的任务（可选填）：填写方式同上，其资金不计入重点工作任务合计。",
                "八、绩效指标：一级、二级指标已按指标体系列出，请在每个二级指标下填写三级指标名称和指标值（如“≥95%”“100%”“{year}.12.31”）；某个二级指标确实没有内容时可填“无”。每个一级指标下至少填写一个三级指标；三级指标名称和指标值须同时填写。",
                "九、校验规则：（1）基本支出＋项目支出＝财政拨款＋其他资金（两个合计不相等时显示为红色）；（2）年度重点工作任务的拟投入资金合计不超过项目支出；（3）财政专项资金＋其他事业发展性支出＝市本级使用资金＋拟用于对下转移支付资金；（4）财政专项资金＋其他事业发展性支出一般不超过项目支出（超过时提示核实）。",
                "十、增加行：任务或指标行不够时，选中该部分中已有的某一行（例如第二行），在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。新行在该部分之内，合计公式自动包括新行。请不要在“合计”行下方或表格之外插入行，也不要删除栏目行。",
                "十一、请勿修改工作表名称、删除工作表或复制到新的工作簿中填写；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page(
            margins={
                "left": 1.5,
                "right": 1.5,
                "top": 1.8,
                "bottom": 1.8,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font(
                name="方正小标宋简体",
                fallback="宋体",
                size=20.0,
            ),
            "body": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=12.0,
            ),
            "note": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
        },
        columns={
            "A": 15.0,
            "B": 21.0,
            "C": 27.0,
            "D": 22.0,
            "E": 27.0,
        },
        styles={
            "title": Style(
                font="title",
                border=False,
            ),
            "label": Style(
                font="body",
            ),
            "total": Style(
                font="body",
                bold=True,
            ),
            "text": Style(
                font="body",
                align="left",
            ),
            "amount": Style(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "count": Style(
                font="body",
                number_format="0",
            ),
            "note": Style(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "budget": Group(
                label="预算整体情况",
                model="Budget",
            ),
        },
        fields={
            "department": FieldSpec(
                label="部门名称",
                max_length=100,
            ),
            "staff": FieldSpec(
                type="count",
                label="财政供养人员数",
            ),
            "subunits": FieldSpec(
                type="count",
                label="下属二级单位数",
            ),
            "budget.basic": FieldSpec(
                type="amount",
                label="基本支出",
            ),
            "budget.project": FieldSpec(
                type="amount",
                label="项目支出",
            ),
            "budget.fiscal": FieldSpec(
                type="amount",
                label="财政拨款",
            ),
            "budget.other_funds": FieldSpec(
                type="amount",
                label="其他资金",
            ),
            "budget.special": FieldSpec(
                type="amount",
                label="财政专项资金",
            ),
            "budget.other_development": FieldSpec(
                type="amount",
                label="其他事业发展性支出",
            ),
            "budget.city_level": FieldSpec(
                type="amount",
                label="市本级使用资金",
            ),
            "budget.transfer": FieldSpec(
                type="amount",
                label="拟用于对下转移支付资金",
            ),
            "goals": FieldSpec(
                type="lines",
                label="总体绩效目标",
                max_length=5000,
                numbered="目标{n}：",
            ),
        },
        sections=[
            TitleSection(
                kind="title",
                text="{year}年市级部门整体预算绩效目标表",
            ),
            FixedSection(
                label="部门名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="department",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="基本信息",
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="财政供养人员数",
                        ),
                        FieldCell(
                            field="staff",
                        ),
                        LabelCell(
                            label="下属二级单位数",
                        ),
                        FieldCell(
                            field="subunits",
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="预算整体情况",
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="部门预算支出",
                        ),
                        LabelCell(
                            label="预算金额（万元）",
                        ),
                        LabelCell(
                            label="收入来源",
                        ),
                        LabelCell(
                            label="预算金额（万元）",
                        ),
                    ],
                    [
                        LabelCell(
                            label="基本支出",
                        ),
                        FieldCell(
                            field="budget.basic",
                        ),
                        LabelCell(
                            label="财政拨款",
                        ),
                        FieldCell(
                            field="budget.fiscal",
                        ),
                    ],
                    [
                        LabelCell(
                            label="项目支出",
                        ),
                        FieldCell(
                            field="budget.project",
                        ),
                        LabelCell(
                            label="其他资金",
                        ),
                        FieldCell(
                            field="budget.other_funds",
                        ),
                    ],
                    [
                        LabelCell(
                            label="支出合计",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(budget.basic, budget.project)",
                            name="expense_total",
                        ),
                        LabelCell(
                            label="收入合计",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(budget.fiscal, budget.other_funds)",
                            name="income_total",
                        ),
                    ],
                    [
                        LabelCell(
                            label="事业发展性支出",
                        ),
                        LabelCell(
                            label="预算金额（万元）",
                        ),
                        LabelCell(
                            label="按预算级次划分",
                        ),
                        LabelCell(
                            label="预算金额（万元）",
                        ),
                    ],
                    [
                        LabelCell(
                            label="财政专项资金",
                        ),
                        FieldCell(
                            field="budget.special",
                        ),
                        LabelCell(
                            label="市本级使用资金",
                        ),
                        FieldCell(
                            field="budget.city_level",
                        ),
                    ],
                    [
                        LabelCell(
                            label="其他事业发展性支出",
                        ),
                        FieldCell(
                            field="budget.other_development",
                        ),
                        LabelCell(
                            label="拟用于对下转移支付资金",
                        ),
                        FieldCell(
                            field="budget.transfer",
                        ),
                    ],
                    [
                        LabelCell(
                            label="合计",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(budget.special, budget.other_development)",
                            name="development_total",
                        ),
                        LabelCell(
                            label="合计",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(budget.city_level, budget.transfer)",
                            name="level_total",
                        ),
                    ],
                ],
                must_equal=[
                    (
                        "expense_total",
                        "income_total",
                    ),
                    (
                        "development_total",
                        "level_total",
                    ),
                ],
            ),
            FixedSection(
                label="总体绩效目标",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="goals",
                            span=4,
                            style="text",
                            min_lines=5,
                        ),
                    ],
                ],
            ),
            TableSection(
                label="年度重点工作任务",
                kind="table",
                field="key_tasks",
                model="Task",
                columns=[
                    Column(
                        label="名称",
                        max_length=100,
                        field="name",
                    ),
                    Column(
                        label="主要实施内容",
                        max_length=2000,
                        field="content",
                    ),
                    Column(
                        type="amount",
                        label="拟投入的资金（万元）",
                        field="funds",
                    ),
                    Column(
                        label="期望达到的目标（概述）",
                        max_length=2000,
                        field="outcome",
                    ),
                ],
                blank_rows=5,
                min_lines=2,
                total=Total(
                    label="合计",
                    column="funds",
                    name="key_task_total",
                ),
            ),
            TableSection(
                label="其他需完成的任务（可选填）",
                aliases=[
                    "其他需完成的任务",
                ],
                kind="table",
                field="other_tasks",
                model="Task",
                title="其他需完成的任务",
                columns=[
                    Column(
                        label="名称",
                        max_length=100,
                        field="name",
                    ),
                    Column(
                        label="主要实施内容",
                        max_length=2000,
                        field="content",
                    ),
                    Column(
                        type="amount",
                        label="拟投入的资金（万元）",
                        field="funds",
                    ),
                    Column(
                        label="期望达到的目标（概述）",
                        max_length=2000,
                        field="outcome",
                    ),
                ],
                header=False,
                blank_rows=2,
                min_lines=2,
            ),
            IndicatorSection(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                levels=[
                    Level(
                        field="level1",
                        label="一级指标",
                    ),
                    Level(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column(
                        label="指标值",
                        max_length=500,
                        field="value",
                        required=True,
                    ),
                ],
                blank_rows=3,
                framework=[
                    Node(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
            NoteSection(
                label="备注",
                kind="note",
                text='备注：1.本表的填报主体是市级一级预算单位。2.本表在"二上"环节通过系统录入，具体字段信息以系统为准。',
            ),
        ],
        checks=Checks(
            required=[
                "year",
                "department",
                "goals",
                "key_tasks",
            ],
            rules=[
                RuleSpec(
                    code="r1-budget-unbalanced",
                    check="sum(budget.basic, budget.project) == sum(budget.fiscal, budget.other_funds)",
                    at="expense_total",
                    zh="部门预算支出合计 {left} 万元（{labels[budget.basic]}+{labels[budget.project]}）与收入来源合计 {right} 万元（{labels[budget.fiscal]}+{labels[budget.other_funds]}）不相等",
                    en="expenses {left} ({labels[budget.basic]} + {labels[budget.project]}) differ from income {right} ({labels[budget.fiscal]} + {labels[budget.other_funds]})",
                ),
                RuleSpec(
                    code="r2-task-funds-exceed-project",
                    check="sum(key_tasks[*].funds) <= sum(budget.project)",
                    at="key_task_total",
                    zh="{labels[key_tasks]}拟投入资金合计 {left} 万元超过{labels[budget.project]} {right} 万元",
                    en="{labels[key_tasks]} funds total {left}, more than {labels[budget.project]} {right}",
                ),
                RuleSpec(
                    code="r3-development-unbalanced",
                    check="sum(budget.special, budget.other_development) == sum(budget.city_level, budget.transfer)",
                    at="development_total",
                    zh="事业发展性支出合计 {left} 万元（{labels[budget.special]}+{labels[budget.other_development]}）与按预算级次划分合计 {right} 万元（{labels[budget.city_level]}+{labels[budget.transfer]}）不相等",
                    en="development spending {left} differs from its split by level {right}",
                ),
                RuleSpec(
                    code="r4-development-exceeds-project",
                    severity="warning",
                    check="sum(budget.special, budget.other_development) <= sum(budget.project)",
                    at="development_total",
                    zh="事业发展性支出合计 {left} 万元超过{labels[budget.project]} {right} 万元，请核实",
                    en="development spending {left} is more than {labels[budget.project]} {right}; please confirm",
                ),
            ],
        ),
    )


def project_performance_target() -> Spec:
    return Spec(
        form=Meta(
            id="project-performance-target",
            version="1",
            name="项目支出绩效目标申报表",
            sheet="绩效目标申报表",
            title="{year}年项目支出绩效目标申报表",
            model="ProjectTarget",
            subject="project",
        ),
        protection=Protection(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "text": Rule(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions(
            sheet="填表说明",
            title="{year}年项目支出绩效目标申报表 填表说明",
            lines=[
                "一、填报主体：由项目实施单位填写，主管部门审核；每个项目一张表。一个部门有多个项目时，可以每个项目一个文件，也可以在同一文件中每个项目一个工作表。",
                "二、填写范围：白色单元格可以填写；栏目名称和公式单元格已锁定，无需也不能修改。",
                "三、项目属性：从列表中选择“新增项目”或“延续项目”；项目期填写起止年度，如“{year}年–{year}年”。",
                "四、项目资金：以“万元”为单位，直接填写数字，最多6位小数。年度资金总额自动计算，等于财政拨款与其他资金之和。",
                "五、年度绩效目标：逐条填写，每条以“目标1：”“目标2：”开头，条目之间换行（Excel/WPS 按 Alt+Enter，LibreOffice 按 Ctrl+Enter）。",
                "六、绩效指标：一级、二级指标已按指标体系列出，请在二级指标下填写三级指标名称和指标值（如“≥95%”“{year}.12.31”）；每个一级指标下至少填写一个三级指标，三级指标名称和指标值须同时填写。",
                "七、增加行：指标行不够时，选中该二级指标中已有的某一行，在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。",
                "八、请勿修改工作表名称、删除工作表；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page(
            margins={
                "left": 1.5,
                "right": 1.5,
                "top": 1.8,
                "bottom": 1.8,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font(
                name="方正小标宋简体",
                fallback="宋体",
                size=20.0,
            ),
            "body": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=12.0,
            ),
            "note": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
        },
        columns={
            "A": 15.0,
            "B": 22.0,
            "C": 26.0,
            "D": 24.0,
            "E": 27.0,
        },
        styles={
            "title": Style(
                font="title",
                border=False,
            ),
            "label": Style(
                font="body",
            ),
            "total": Style(
                font="body",
                bold=True,
            ),
            "text": Style(
                font="body",
                align="left",
            ),
            "amount": Style(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "note": Style(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "funds": Group(
                label="项目资金（万元）",
                model="ProjectFunds",
            ),
        },
        fields={
            "project": FieldSpec(
                label="项目名称",
                max_length=200,
            ),
            "department": FieldSpec(
                label="主管部门",
                max_length=100,
            ),
            "unit": FieldSpec(
                label="实施单位",
                max_length=100,
            ),
            "kind": FieldSpec(
                type="choice",
                label="项目属性",
                choices=[
                    "新增项目",
                    "延续项目",
                ],
            ),
            "period": FieldSpec(
                label="项目期",
                max_length=50,
            ),
            "funds.total": FieldSpec(
                type="amount",
                label="年度资金总额",
            ),
            "funds.fiscal": FieldSpec(
                type="amount",
                label="财政拨款",
            ),
            "funds.other": FieldSpec(
                type="amount",
                label="其他资金",
            ),
            "goals": FieldSpec(
                type="lines",
                label="年度绩效目标",
                max_length=5000,
                numbered="目标{n}：",
            ),
        },
        sections=[
            TitleSection(
                kind="title",
                text="{year}年项目支出绩效目标申报表",
            ),
            FixedSection(
                label="项目名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="project",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="主管部门",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="department",
                        ),
                        LabelCell(
                            label="实施单位",
                        ),
                        FieldCell(
                            field="unit",
                            span=2,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="项目属性",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="kind",
                        ),
                        LabelCell(
                            label="项目期",
                        ),
                        FieldCell(
                            field="period",
                            span=2,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="项目资金（万元）",
                aliases=[
                    "项目资金",
                ],
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="年度资金总额",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(funds.fiscal, funds.other)",
                            field="funds.total",
                            span=3,
                            code="p1-funds-unbalanced",
                            zh="{labels[funds.total]}填写为 {value} 万元，不等于{labels[funds.fiscal]}与{labels[funds.other]}之和 {expected} 万元",
                            en="{labels[funds.total]} says {value}, not {labels[funds.fiscal]} + {labels[funds.other]} = {expected}",
                        ),
                    ],
                    [
                        LabelCell(
                            label="其中：财政拨款",
                        ),
                        FieldCell(
                            field="funds.fiscal",
                            span=3,
                        ),
                    ],
                    [
                        LabelCell(
                            label="其他资金",
                        ),
                        FieldCell(
                            field="funds.other",
                            span=3,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="年度绩效目标",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="goals",
                            span=4,
                            style="text",
                            min_lines=4,
                        ),
                    ],
                ],
            ),
            IndicatorSection(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                model="TargetIndicator",
                levels=[
                    Level(
                        field="level1",
                        label="一级指标",
                    ),
                    Level(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column(
                        label="指标值",
                        max_length=500,
                        field="value",
                        required=True,
                    ),
                ],
                blank_rows=2,
                framework=[
                    Node(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
        ],
        checks=Checks(
            required=[
                "year",
                "project",
                "department",
                "goals",
            ],
        ),
    )


def project_self_evaluation() -> Spec:
    return Spec(
        form=Meta(
            id="project-self-evaluation",
            version="1",
            name="项目支出绩效自评表",
            sheet="绩效自评表",
            title="{year}年度项目支出绩效自评表",
            model="SelfEvaluation",
            subject="project",
        ),
        protection=Protection(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "number": Rule(
                title="分值或得分",
                prompt="请填写不小于0的数字，得分不超过分值。",
                error="须为不小于0的数字。",
            ),
            "percent": Rule(
                title="百分比",
                prompt="请填写百分比，如 87.7%。",
                error="须为不小于0的百分比。",
            ),
            "text": Rule(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions(
            sheet="填表说明",
            title="{year}年度项目支出绩效自评表 填表说明",
            lines=[
                "一、填报主体：由项目实施单位在年度结束后填写，主管部门审核；每个项目一张表。一个部门有多个项目时，可以每个项目一个文件，也可以在同一文件中每个项目一个工作表。",
                "二、填写范围：白色单元格可以填写；栏目名称和公式单元格（年度资金总额、执行率、得分、总分）已锁定，自动计算。",
                "三、项目资金：以“万元”为单位填写年初预算数、全年预算数和全年执行数；年度资金总额等于当年财政拨款、上年结转资金和其他资金之和。",
                "四、执行率＝全年执行数÷全年预算数（保留一位小数的百分比）；预算执行得分＝10×执行率（执行率超过100%时按100%计），保留两位小数。",
                "五、绩效指标：在二级指标下填写三级指标名称、年度指标值、实际完成值、分值和得分；三级指标名称、年度指标值和分值须填写。各指标分值合计为90分（一般产出指标50分、效益指标30分、满意度指标10分），加上预算执行的10分，总分的分值为100分。",
                "六、得分不能为负数，也不能超过分值；得分低于分值的，须在“偏差原因分析及改进措施”中说明原因和改进措施。",
                "七、增加行：指标行不够时，选中该二级指标中已有的某一行，在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。总分自动包括新行。",
                "八、请勿修改工作表名称、删除工作表；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page(
            orientation="landscape",
            margins={
                "left": 1.2,
                "right": 1.2,
                "top": 1.5,
                "bottom": 1.5,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font(
                name="方正小标宋简体",
                fallback="宋体",
                size=18.0,
            ),
            "body": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
            "note": Font(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=10.0,
            ),
        },
        columns={
            "A": 10.0,
            "B": 19.0,
            "C": 18.0,
            "D": 21.0,
            "E": 13.0,
            "F": 13.0,
            "G": 8.5,
            "H": 8.5,
            "I": 20.0,
        },
        styles={
            "title": Style(
                font="title",
                border=False,
            ),
            "label": Style(
                font="body",
            ),
            "total": Style(
                font="body",
                bold=True,
            ),
            "text": Style(
                font="body",
                align="left",
            ),
            "amount": Style(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "number": Style(
                font="body",
                number_format="0.00",
            ),
            "percent": Style(
                font="body",
                number_format="0.0%",
            ),
            "note": Style(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "funds": Group(
                label="项目资金（万元）",
                model="EvaluationFunds",
            ),
            "funds.total": Group(
                label="年度资金总额",
                model="FundsTotal",
            ),
            "funds.fiscal": Group(
                label="当年财政拨款",
                model="FundsFiscal",
            ),
            "funds.carry": Group(
                label="上年结转资金",
                model="FundsCarry",
            ),
            "funds.other": Group(
                label="其他资金",
                model="FundsOther",
            ),
            "total": Group(
                label="总分",
                model="EvaluationTotal",
            ),
        },
        fields={
            "project": FieldSpec(
                label="项目名称",
                max_length=200,
            ),
            "department": FieldSpec(
                label="主管部门",
                max_length=100,
            ),
            "unit": FieldSpec(
                label="实施单位",
                max_length=100,
            ),
            "funds.total.start": FieldSpec(
                type="amount",
                label="年度资金总额年初预算数",
            ),
            "funds.total.budget": FieldSpec(
                type="amount",
                label="年度资金总额全年预算数",
            ),
            "funds.total.spent": FieldSpec(
                type="amount",
                label="年度资金总额全年执行数",
            ),
            "funds.fiscal.start": FieldSpec(
                type="amount",
                label="当年财政拨款年初预算数",
            ),
            "funds.fiscal.budget": FieldSpec(
                type="amount",
                label="当年财政拨款全年预算数",
            ),
            "funds.fiscal.spent": FieldSpec(
                type="amount",
                label="当年财政拨款全年执行数",
            ),
            "funds.carry.start": FieldSpec(
                type="amount",
                label="上年结转资金年初预算数",
            ),
            "funds.carry.budget": FieldSpec(
                type="amount",
                label="上年结转资金全年预算数",
            ),
            "funds.carry.spent": FieldSpec(
                type="amount",
                label="上年结转资金全年执行数",
            ),
            "funds.other.start": FieldSpec(
                type="amount",
                label="其他资金年初预算数",
            ),
            "funds.other.budget": FieldSpec(
                type="amount",
                label="其他资金全年预算数",
            ),
            "funds.other.spent": FieldSpec(
                type="amount",
                label="其他资金全年执行数",
            ),
            "funds.rate": FieldSpec(
                type="percent",
                label="执行率",
            ),
            "funds.score": FieldSpec(
                type="number",
                label="预算执行得分",
            ),
            "goals": FieldSpec(
                label="预期目标",
                max_length=5000,
            ),
            "achieved": FieldSpec(
                label="实际完成情况",
                max_length=5000,
            ),
            "total.weight": FieldSpec(
                type="number",
                label="总分分值",
            ),
            "total.score": FieldSpec(
                type="number",
                label="总分",
            ),
        },
        sections=[
            TitleSection(
                kind="title",
                text="{year}年度项目支出绩效自评表",
                height=36.0,
            ),
            FixedSection(
                label="项目名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="project",
                            span=8,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="主管部门",
                kind="fixed",
                rows=[
                    [
                        FieldCell(
                            field="department",
                            span=3,
                        ),
                        LabelCell(
                            label="实施单位",
                        ),
                        FieldCell(
                            field="unit",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="项目资金（万元）",
                aliases=[
                    "项目资金",
                ],
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="",
                        ),
                        LabelCell(
                            label="年初预算数",
                        ),
                        LabelCell(
                            label="全年预算数",
                        ),
                        LabelCell(
                            label="全年执行数",
                        ),
                        LabelCell(
                            label="分值",
                        ),
                        LabelCell(
                            label="执行率",
                        ),
                        LabelCell(
                            label="得分",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                    [
                        LabelCell(
                            label="年度资金总额",
                            total=True,
                        ),
                        ExprCell(
                            expr="sum(funds.fiscal.start, funds.carry.start, funds.other.start)",
                            field="funds.total.start",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        ExprCell(
                            expr="sum(funds.fiscal.budget, funds.carry.budget, funds.other.budget)",
                            field="funds.total.budget",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        ExprCell(
                            expr="sum(funds.fiscal.spent, funds.carry.spent, funds.other.spent)",
                            field="funds.total.spent",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        LabelCell(
                            label="10",
                        ),
                        ExprCell(
                            expr="ratio(funds.total.spent, funds.total.budget, 3)",
                            field="funds.rate",
                            code="s2-rate-mismatch",
                            zh="执行率填写为 {value}，按全年执行数÷全年预算数应为 {expected}",
                            en="the execution rate says {value}; spent / budget is {expected}",
                        ),
                        ExprCell(
                            expr='if(filled(funds.rate), round(10 * min(funds.rate, 1), 2), "")',
                            field="funds.score",
                            code="s3-budget-score-mismatch",
                            zh="预算执行得分填写为 {value}，按 10×执行率 应为 {expected}",
                            en="the budget score says {value}; 10 × the rate is {expected}",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                    [
                        LabelCell(
                            label="其中：当年财政拨款",
                        ),
                        FieldCell(
                            field="funds.fiscal.start",
                        ),
                        FieldCell(
                            field="funds.fiscal.budget",
                        ),
                        FieldCell(
                            field="funds.fiscal.spent",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                    [
                        LabelCell(
                            label="上年结转资金",
                        ),
                        FieldCell(
                            field="funds.carry.start",
                        ),
                        FieldCell(
                            field="funds.carry.budget",
                        ),
                        FieldCell(
                            field="funds.carry.spent",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                    [
                        LabelCell(
                            label="其他资金",
                        ),
                        FieldCell(
                            field="funds.other.start",
                        ),
                        FieldCell(
                            field="funds.other.budget",
                        ),
                        FieldCell(
                            field="funds.other.spent",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                        LabelCell(
                            label="—",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                ],
            ),
            FixedSection(
                label="年度总体目标",
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="预期目标",
                            span=4,
                        ),
                        LabelCell(
                            label="实际完成情况",
                            span=4,
                        ),
                    ],
                    [
                        FieldCell(
                            field="goals",
                            span=4,
                            min_lines=4,
                        ),
                        FieldCell(
                            field="achieved",
                            span=4,
                            min_lines=4,
                        ),
                    ],
                ],
            ),
            IndicatorSection(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                model="EvaluationIndicator",
                levels=[
                    Level(
                        field="level1",
                        label="一级指标",
                    ),
                    Level(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column(
                        label="年度指标值",
                        max_length=500,
                        field="target",
                        required=True,
                    ),
                    Column(
                        label="实际完成值",
                        max_length=500,
                        field="actual",
                    ),
                    Column(
                        type="number",
                        label="分值",
                        field="weight",
                        required=True,
                    ),
                    Column(
                        type="number",
                        label="得分",
                        field="score",
                    ),
                    Column(
                        label="偏差原因分析及改进措施",
                        max_length=1000,
                        field="reason",
                    ),
                ],
                blank_rows=2,
                framework=[
                    Node(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
            FixedSection(
                label="总分",
                kind="fixed",
                rows=[
                    [
                        LabelCell(
                            label="",
                            span=5,
                        ),
                        ExprCell(
                            expr="sum(10, indicators[*].weight)",
                            field="total.weight",
                            code="s4-total-weight-mismatch",
                            zh="总分的分值填写为 {value}，按各项分值应为 {expected}",
                            en="the total weight says {value}; the weights add up to {expected}",
                        ),
                        ExprCell(
                            expr="sum(funds.score, indicators[*].score)",
                            field="total.score",
                            code="s6-total-score-mismatch",
                            zh="总分填写为 {value}，按各项得分应为 {expected}",
                            en="the total score says {value}; the scores add up to {expected}",
                        ),
                        LabelCell(
                            label="",
                        ),
                    ],
                ],
            ),
            NoteSection(
                label="备注",
                kind="note",
                text="备注：1.本表由项目实施单位填写，主管部门审核。2.预算执行率分值10分，绩效指标分值合计90分，总分100分。3.得分低于分值的指标须说明偏差原因及改进措施。",
            ),
        ],
        checks=Checks(
            required=[
                "year",
                "project",
                "department",
                "unit",
                "goals",
                "achieved",
            ],
            rules=[
                RuleSpec(
                    code="s4-weights-not-90",
                    check="sum(indicators[*].weight) == 90",
                    at="total.weight",
                    zh="各绩效指标的{labels[indicators.weight]}合计为 {left}，应为 90（加上预算执行的 10 分，总分为 100）",
                    en="the indicators' weights add up to {left}, not 90 (with the budget's 10, the total is 100)",
                ),
                RuleSpec(
                    code="s4-unusual-split",
                    severity="warning",
                    check='sum(indicators[*].weight) != 90 or sumif(indicators[*].weight, indicators[*].level1, "产出指标") == 50 and sumif(indicators[*].weight, indicators[*].level1, "效益指标") == 30 and sumif(indicators[*].weight, indicators[*].level1, "满意度指标") == 10',
                    at="total.weight",
                    zh="分值一般按产出指标 50、效益指标 30、满意度指标 10 分配，本表的分配不同，请核实",
                    en="weights are usually 50 for output, 30 for benefit and 10 for satisfaction; this form splits them differently, please confirm",
                ),
                RuleSpec(
                    code="s5-score-out-of-range",
                    check="score >= 0 and score <= weight",
                    at="score",
                    each="indicators",
                    zh="指标“{row}”的{labels[indicators.score]} {value} 应在 0 到{labels[indicators.weight]}之间",
                    en="the score of '{row}' is outside 0 to its weight",
                ),
                RuleSpec(
                    code="s7-reason-missing",
                    severity="warning",
                    check="not (score < weight) or filled(reason)",
                    at="reason",
                    each="indicators",
                    zh="指标“{row}”的得分低于分值，请填写{labels[indicators.reason]}",
                    en="the score of '{row}' is below its weight: give the reason and the remedy",
                ),
            ],
        ),
    )


BY_TEXT: dict[str, Callable[[], Spec]] = {
    "c95ad2486253f2eee31a0b83538f137417b6e2c357d1e69f8d207d3992a07f24": city_department_performance,
    "77fddc0f9751a0cee7b45221f6d7bf7af434c6fb1dd469d56e60cecab94a3ab3": project_performance_target,
    "c96de3ac8d29f390559c8bd1b22ffbcc4d2049a04189db91a7246994b3b2f2c0": project_self_evaluation,
}
"""Each built-in spec by the digest of its text (xlsxform.spec.loading.text_digest)."""
